//! Vendor integrations: one folder per API (typed client, resource, provider).

pub mod instaclustr;
