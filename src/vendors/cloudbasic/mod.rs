//! CloudBasic Multi-AZ HA clusters over SigV4-signed JSON or XML.
