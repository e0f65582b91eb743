//! `local_node_info.available_addrs`: the addresses a node has, as `GET /v1/bootstrap` reports
//! them.
//!
//! The vendor's example shows a list of objects `{address, format ("ipv4"|"ipv6"), if_name,
//! private}`; newer versions call the list `available_addresses`. Both spellings are read (and
//! merged, without repeating an entry both carry). A bare string, as some clients assume, is
//! read as an address the node said nothing else about: `format`, `if_name` and `private` stay
//! unknown (`None`), never guessed from the text.
//!
//! An entry that cannot be read (an object without a string `address`, a field of the wrong
//! type, a number, a list that is not a list) is kept as its JSON text in
//! [`Addresses::unreadable`] rather than dropped: a module that picks `node_addr` from the list
//! must not silently get a shorter list, so the data source refuses it with the entry named,
//! while the resource, which only matches its own uid by address, uses what it can read.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One address of the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeAddress {
    pub address: String,
    /// `ipv4` or `ipv6` as the node wrote it; `None` when it did not say.
    pub format: Option<String>,
    /// The network interface, e.g. `eth0`.
    pub if_name: Option<String>,
    /// Whether the node calls the address private.
    pub private: Option<bool>,
}

impl NodeAddress {
    fn is_private_ipv4(&self) -> bool {
        self.private == Some(true) && self.format.as_deref() == Some("ipv4")
    }
}

/// A decoded `available_addrs` (or `available_addresses`) field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Addresses {
    pub entries: Vec<NodeAddress>,
    /// Entries (or a whole field) that could not be read, as compact JSON.
    pub unreadable: Vec<String>,
}

impl Addresses {
    /// `other`'s entries after this one's, leaving out those this one already has.
    pub fn merged(&self, other: &Addresses) -> Addresses {
        let mut out = self.clone();
        for entry in &other.entries {
            if !out.entries.contains(entry) {
                out.entries.push(entry.clone());
            }
        }
        for raw in &other.unreadable {
            if !out.unreadable.contains(raw) {
                out.unreadable.push(raw.clone());
            }
        }
        out
    }

    /// The address a node bootstrapped without `node.identity.addr` takes: its first private
    /// IPv4 address in (string) sort order, else its first address. The documentation does not
    /// say how a node picks; this is the simulator's rule, and the one the data source's
    /// documented recipe (`sort([... if a.private && a.format == "ipv4"])[0]`) follows.
    pub fn default_address(&self) -> Option<&str> {
        self.entries
            .iter()
            .filter(|a| a.is_private_ipv4())
            .map(|a| a.address.as_str())
            .min()
            .or_else(|| self.entries.first().map(|a| a.address.as_str()))
    }
}

/// Serde `deserialize_with` for the address lists: never fails; see the module docs.
pub fn addresses<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Addresses, D::Error> {
    let mut out = Addresses::default();
    match Value::deserialize(deserializer)? {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                match entry(&item) {
                    Some(address) => out.entries.push(address),
                    None => out.unreadable.push(compact(&item)),
                }
            }
        }
        other => out.unreadable.push(compact(&other)),
    }
    Ok(out)
}

fn entry(item: &Value) -> Option<NodeAddress> {
    match item {
        Value::String(text) if !text.trim().is_empty() => Some(NodeAddress {
            address: text.trim().to_string(),
            format: None,
            if_name: None,
            private: None,
        }),
        Value::Object(fields) => {
            let address = match fields.get("address") {
                Some(Value::String(text)) if !text.trim().is_empty() => text.trim().to_string(),
                _ => return None,
            };
            Some(NodeAddress {
                address,
                format: optional_text(fields.get("format"))?,
                if_name: optional_text(fields.get("if_name"))?,
                private: optional_flag(fields.get("private"))?,
            })
        }
        _ => None,
    }
}

/// `Some(None)` for an absent or null field, `None` for one of the wrong type.
fn optional_text(value: Option<&Value>) -> Option<Option<String>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(_) => None,
    }
}

/// Like [`optional_text`]; `"true"`/`"false"` count as booleans.
fn optional_flag(value: Option<&Value>) -> Option<Option<bool>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::Bool(flag)) => Some(Some(*flag)),
        Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Some(true)),
            "false" => Some(Some(false)),
            _ => None,
        },
        Some(_) => None,
    }
}

/// The entry as the node sent it, cut short for a diagnostic.
fn compact(value: &Value) -> String {
    const LIMIT: usize = 120;
    let text = value.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "addresses")]
        list: Addresses,
    }

    fn read(json: &str) -> Addresses {
        serde_json::from_str::<Holder>(&format!(r#"{{"list": {json}}}"#))
            .unwrap()
            .list
    }

    fn addr(address: &str, format: &str, if_name: &str, private: bool) -> NodeAddress {
        NodeAddress {
            address: address.into(),
            format: Some(format.into()),
            if_name: Some(if_name.into()),
            private: Some(private),
        }
    }

    #[test]
    fn objects_as_the_vendor_documents_them() {
        let list = read(
            r#"[{"address":"203.0.113.7","format":"ipv4","if_name":"eth1","private":false},
                {"address":"172.17.0.1","format":"ipv4","if_name":"docker0","private":true},
                {"address":"fd00::7","format":"ipv6","if_name":"eth0","private":true},
                {"address":"10.0.0.7","format":"ipv4","if_name":"eth0","private":"true"}]"#,
        );
        assert!(list.unreadable.is_empty(), "{list:?}");
        assert_eq!(list.entries[0], addr("203.0.113.7", "ipv4", "eth1", false));
        assert_eq!(list.entries[3], addr("10.0.0.7", "ipv4", "eth0", true));
        assert_eq!(list.default_address(), Some("10.0.0.7"));
    }

    #[test]
    fn bare_strings_are_addresses_with_nothing_else_known() {
        let list = read(r#"["10.0.0.2", " "]"#);
        assert_eq!(
            list.entries,
            vec![NodeAddress {
                address: "10.0.0.2".into(),
                format: None,
                if_name: None,
                private: None
            }]
        );
        assert_eq!(list.unreadable, vec![r#"" ""#.to_string()]);
        // No private IPv4 known: the first address.
        assert_eq!(list.default_address(), Some("10.0.0.2"));
    }

    #[test]
    fn unreadable_entries_are_kept_not_dropped() {
        let list = read(
            r#"[{"address":"10.0.0.1","format":"ipv4"},{"format":"ipv4"},{"address":7},
                {"address":"10.0.0.9","private":"maybe"},42]"#,
        );
        assert_eq!(list.entries.len(), 1);
        assert_eq!(list.entries[0].if_name, None);
        assert_eq!(list.unreadable.len(), 4, "{list:?}");
        assert!(list.unreadable[1].contains("\"address\":7"));
        assert_eq!(read("null"), Addresses::default());
        assert_eq!(read(r#""10.0.0.1""#).unreadable, vec!["\"10.0.0.1\""]);
        let long = read(&format!("[{{\"x\":\"{}\"}}]", "y".repeat(500)));
        assert!(long.unreadable[0].chars().count() <= 121);
    }

    #[test]
    fn both_spellings_merge_without_repeats() {
        let old =
            read(r#"[{"address":"10.0.0.1","format":"ipv4","if_name":"eth0","private":true}]"#);
        let new = read(
            r#"[{"address":"10.0.0.1","format":"ipv4","if_name":"eth0","private":true},"10.0.0.3"]"#,
        );
        let all = old.merged(&new);
        assert_eq!(all.entries.len(), 2);
        assert_eq!(all.entries[1].address, "10.0.0.3");
    }
}
