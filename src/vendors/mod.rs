//! Vendor integrations: one folder per API (typed client, resource, provider).

pub mod cloudbasic;
pub mod css;
pub mod instaclustr;
pub mod redis;
#[cfg(test)]
mod secret_leaks;
