//! The `css_cluster` model (one field per schema attribute) and its mapping to and from the
//! API's documents.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::client::{self, ClusterDetail, InstanceDetail, SnapshotPolicy, SnapshotPolicyDetail};
use super::schema::{DEFAULT_ENGINE, DEFAULT_KEEP_DAYS, DEFAULT_PREFIX};

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Cluster {
    /// Options even where the schema requires a value: an import stub holds only the id, and
    /// what the API does not report must stay null (unreported), not become "".
    pub id: Option<String>,
    pub name: Option<String>,
    pub engine_type: Option<String>,
    pub engine_version: Option<String>,
    pub instance_num: Option<i64>,
    pub flavor: Option<String>,
    pub volume: Option<Volume>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub security_group_id: Option<String>,
    pub availability_zone: Option<String>,
    pub https_enabled: Option<bool>,
    pub authority_enabled: Option<bool>,
    pub admin_password: Option<String>,
    /// Write-only: the configured value during create and update, null in every state.
    pub admin_password_wo: Option<String>,
    pub admin_password_wo_version: Option<i64>,
    pub backup_strategy: Option<BackupStrategy>,
    pub tags: Option<BTreeMap<String, String>>,
    pub status: Option<String>,
    pub endpoint: Option<String>,
    pub created: Option<String>,
    pub nodes: Option<Vec<Node>>,
}

/// Written by hand so the admin password cannot reach a log line through `{:?}`.
impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("engine_type", &self.engine_type)
            .field("engine_version", &self.engine_version)
            .field("instance_num", &self.instance_num)
            .field("flavor", &self.flavor)
            .field("volume", &self.volume)
            .field("availability_zone", &self.availability_zone)
            .field("https_enabled", &self.https_enabled)
            .field("authority_enabled", &self.authority_enabled)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "admin_password_wo",
                &self.admin_password_wo.as_ref().map(|_| "<redacted>"),
            )
            .field("admin_password_wo_version", &self.admin_password_wo_version)
            .field("backup_strategy", &self.backup_strategy)
            .field("tags", &self.tags)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Volume {
    pub volume_type: String,
    pub size: i64,
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct BackupStrategy {
    pub start_time: String,
    pub prefix: String,
    pub keep_days: i64,
}

impl BackupStrategy {
    pub fn policy(&self, enable: bool) -> SnapshotPolicy {
        SnapshotPolicy {
            prefix: self.prefix.clone(),
            period: self.start_time.clone(),
            keepday: u32::try_from(self.keep_days).unwrap_or(1),
            enable: if enable { "true" } else { "false" },
        }
    }
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Node {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub node_type: Option<String>,
    pub status: Option<String>,
    pub ip: Option<String>,
    pub spec_code: Option<String>,
    pub availability_zone: Option<String>,
}

impl Cluster {
    pub fn authority(&self) -> bool {
        self.authority_enabled.unwrap_or(false)
    }

    /// The admin password as configured, from either argument (they conflict).
    pub fn password(&self) -> Option<&str> {
        self.admin_password
            .as_deref()
            .or(self.admin_password_wo.as_deref())
    }

    /// What an update from `prior` to this plan has to send through the password reset API:
    /// the argument it comes from, and the password. A new `admin_password` is sent; a
    /// write-only one only when its version changed (Terraform cannot see the value change) or
    /// when it takes over from a removed `admin_password`.
    pub fn password_reset(&self, prior: &Cluster) -> Option<(&'static str, &str)> {
        if self.admin_password != prior.admin_password {
            if let Some(p) = &self.admin_password {
                return Some(("admin_password", p));
            }
        }
        let rotated = self.admin_password_wo_version != prior.admin_password_wo_version;
        let took_over = prior.admin_password.is_some() && self.admin_password.is_none();
        match &self.admin_password_wo {
            Some(p) if rotated || took_over => Some(("admin_password_wo", p)),
            _ => None,
        }
    }

    /// The create request for this (planned) cluster. The admin password is sent only in
    /// security mode, the only mode in which the API uses it.
    pub fn create_request(&self) -> client::CreateCluster {
        let volume = self.volume.clone().unwrap_or_default();
        let tags = self.tags.as_ref().filter(|t| !t.is_empty()).map(|t| {
            t.iter()
                .map(|(k, v)| client::Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        });
        client::CreateCluster {
            cluster: client::ClusterSpec {
                name: self.name.clone().unwrap_or_default(),
                instance_num: self
                    .instance_num
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(1),
                instance: client::InstanceSpec {
                    flavor_ref: self.flavor.clone().unwrap_or_default(),
                    volume: client::VolumeSpec {
                        volume_type: volume.volume_type,
                        size: u64::try_from(volume.size).unwrap_or(0),
                    },
                    nics: client::Nics {
                        vpc_id: self.vpc_id.clone().unwrap_or_default(),
                        net_id: self.subnet_id.clone().unwrap_or_default(),
                        security_group_id: self.security_group_id.clone().unwrap_or_default(),
                    },
                    availability_zone: self
                        .availability_zone
                        .clone()
                        .filter(|z| !z.trim().is_empty()),
                },
                datastore: client::Datastore {
                    engine_type: self
                        .engine_type
                        .clone()
                        .unwrap_or_else(|| DEFAULT_ENGINE.to_string()),
                    version: self.engine_version.clone().unwrap_or_default(),
                },
                https_enable: self.https_enabled.unwrap_or(false),
                authority_enable: self.authority(),
                admin_pwd: self
                    .password()
                    .filter(|_| self.authority())
                    .map(str::to_string),
                backup_strategy: self
                    .backup_strategy
                    .as_ref()
                    .map(|b| client::BackupStrategy {
                        period: b.start_time.clone(),
                        prefix: b.prefix.clone(),
                        keepday: u32::try_from(b.keep_days).unwrap_or(1),
                    }),
                tags,
            },
        }
    }

    /// Copies what the API reports into the model. Whatever the API leaves out keeps its
    /// current value, so a terse answer never becomes a diff.
    pub fn apply_detail(&mut self, d: &ClusterDetail) {
        if let Some(v) = &d.id {
            self.id = Some(v.clone());
        }
        if let Some(v) = &d.name {
            self.name = Some(v.clone());
        }
        if let Some(ds) = &d.datastore {
            if let Some(v) = &ds.engine_type {
                self.engine_type = Some(v.clone());
            }
            if let Some(v) = &ds.version {
                self.engine_version = Some(v.clone());
            }
        }
        let data: Vec<&InstanceDetail> = d.data_nodes().collect();
        if let Some(first) = data.first() {
            self.instance_num = Some(i64::try_from(data.len()).unwrap_or(i64::MAX));
            if let Some(v) = &first.spec_code {
                self.flavor = Some(v.clone());
            }
            if let Some(v) = &first.volume {
                let volume = self.volume.get_or_insert_with(Volume::default);
                if let Some(t) = &v.volume_type {
                    volume.volume_type = t.clone();
                }
                if let Some(size) = v.size.and_then(|s| i64::try_from(s).ok()) {
                    volume.size = size;
                }
            }
            if let Some(z) = zones(&data) {
                self.availability_zone = Some(z);
            }
        }
        if let Some(v) = &d.vpc_id {
            self.vpc_id = Some(v.clone());
        }
        if let Some(v) = &d.subnet_id {
            self.subnet_id = Some(v.clone());
        }
        if let Some(v) = &d.security_group_id {
            self.security_group_id = Some(v.clone());
        }
        if d.https_enable.is_some() {
            self.https_enabled = d.https_enable;
        }
        if d.authority_enable.is_some() {
            self.authority_enabled = d.authority_enable;
        }
        if let Some(tags) = &d.tags {
            let read: BTreeMap<String, String> = tags
                .iter()
                .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
                .collect();
            // No tags and none configured: keep null rather than show `{}` as a change.
            if !read.is_empty() || self.tags.is_some() {
                self.tags = Some(read);
            }
        }
        if d.status.is_some() {
            self.status = d.status.clone();
        }
        if d.endpoint.is_some() {
            self.endpoint = d.endpoint.clone();
        }
        if d.created.is_some() {
            self.created = d.created.clone();
        }
        if let Some(instances) = &d.instances {
            self.nodes = Some(instances.iter().map(node).collect());
        }
    }

    /// Applies the snapshot policy as read back. `None` (the API has no policy endpoint for
    /// this cluster) leaves the state's value alone.
    pub fn apply_policy(&mut self, policy: Option<&SnapshotPolicyDetail>) {
        let Some(p) = policy else { return };
        // `enable` is always sent by CSS; an answer without it is judged by its period.
        let enabled = p
            .enable
            .unwrap_or_else(|| p.period.as_deref().is_some_and(|s| !s.trim().is_empty()));
        if !enabled {
            self.backup_strategy = None;
            return;
        }
        let prior = self.backup_strategy.take().unwrap_or_default();
        self.backup_strategy = Some(BackupStrategy {
            start_time: p.period.clone().unwrap_or(prior.start_time),
            prefix: p
                .prefix
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| {
                    if prior.prefix.is_empty() {
                        DEFAULT_PREFIX.to_string()
                    } else {
                        prior.prefix
                    }
                }),
            keep_days: p.keepday.and_then(|k| i64::try_from(k).ok()).unwrap_or(
                if prior.keep_days > 0 {
                    prior.keep_days
                } else {
                    DEFAULT_KEEP_DAYS
                },
            ),
        });
    }
}

fn node(i: &InstanceDetail) -> Node {
    Node {
        id: i.id.clone(),
        name: i.name.clone(),
        node_type: i.node_type.clone(),
        status: i.status.clone(),
        ip: i.ip.clone(),
        spec_code: i.spec_code.clone(),
        availability_zone: i.az_code.clone(),
    }
}

/// The zones the data nodes run in, as the API lists them; the schema's semantic equality keeps
/// the configured spelling when it names the same zones.
fn zones(data: &[&InstanceDetail]) -> Option<String> {
    let mut found: Vec<&str> = Vec::new();
    for zone in data.iter().filter_map(|i| i.az_code.as_deref()) {
        let zone = zone.trim();
        if !zone.is_empty() && !found.contains(&zone) {
            found.push(zone);
        }
    }
    (!found.is_empty()).then(|| found.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::css::client::{DatastoreDetail, Tag, VolumeDetail};

    fn instance(az: &str, status: &str) -> InstanceDetail {
        InstanceDetail {
            id: Some(format!("i-{az}")),
            name: Some("n".into()),
            node_type: Some("ess".into()),
            spec_code: Some("ess.spec-4u8g".into()),
            az_code: Some(az.into()),
            ip: Some("10.0.0.1".into()),
            status: Some(status.into()),
            volume: Some(VolumeDetail {
                volume_type: Some("HIGH".into()),
                size: Some(40),
            }),
        }
    }

    fn detail() -> ClusterDetail {
        ClusterDetail {
            id: Some("c-1".into()),
            name: Some("es-orders".into()),
            status: Some("200".into()),
            endpoint: Some("10.0.0.1:9200".into()),
            created: Some("2024-05-01T10:00:00".into()),
            datastore: Some(DatastoreDetail {
                engine_type: Some("elasticsearch".into()),
                version: Some("7.10.2".into()),
            }),
            instances: Some(vec![
                instance("az2", "200"),
                instance("az1", "200"),
                InstanceDetail {
                    node_type: Some("ess-master".into()),
                    ..InstanceDetail::default()
                },
            ]),
            vpc_id: Some("v".into()),
            subnet_id: Some("s".into()),
            security_group_id: Some("g".into()),
            https_enable: Some(false),
            authority_enable: Some(true),
            tags: Some(vec![Tag {
                key: Some("team".into()),
                value: Some("search".into()),
            }]),
            ..ClusterDetail::default()
        }
    }

    #[test]
    fn an_import_stub_is_filled_from_the_detail() {
        let mut m = Cluster {
            id: Some("c-1".into()),
            ..Cluster::default()
        };
        m.apply_detail(&detail());
        assert_eq!(m.name.as_deref(), Some("es-orders"));
        assert_eq!(m.engine_type.as_deref(), Some("elasticsearch"));
        assert_eq!(m.instance_num, Some(2));
        assert_eq!(m.flavor.as_deref(), Some("ess.spec-4u8g"));
        assert_eq!(
            m.volume,
            Some(Volume {
                volume_type: "HIGH".into(),
                size: 40
            })
        );
        assert_eq!(m.availability_zone.as_deref(), Some("az2,az1"));
        assert_eq!(m.authority_enabled, Some(true));
        assert_eq!(m.nodes.as_ref().map(Vec::len), Some(3));
        assert_eq!(
            m.tags
                .as_ref()
                .and_then(|t| t.get("team"))
                .map(String::as_str),
            Some("search")
        );
        assert_eq!(m.admin_password, None);
    }

    #[test]
    fn zones_as_listed_and_null_tags_are_kept() {
        let mut m = Cluster {
            availability_zone: Some("az1, az2".into()),
            ..Cluster::default()
        };
        let mut d = detail();
        d.tags = Some(Vec::new());
        m.apply_detail(&d);
        assert_eq!(m.availability_zone.as_deref(), Some("az2,az1"));
        assert_eq!(m.tags, None);
        m.tags = Some(BTreeMap::new());
        m.apply_detail(&d);
        assert_eq!(m.tags, Some(BTreeMap::new()));
    }

    #[test]
    fn a_terse_detail_changes_nothing() {
        let mut m = Cluster {
            name: Some("x".into()),
            instance_num: Some(3),
            https_enabled: Some(true),
            ..Cluster::default()
        };
        let before = m.clone();
        m.apply_detail(&ClusterDetail::default());
        assert_eq!(m, before);
    }

    #[test]
    fn policy_round_trip() {
        let mut m = Cluster::default();
        m.apply_policy(Some(&SnapshotPolicyDetail {
            keepday: Some(5),
            period: Some("16:00 GMT+08:00".into()),
            prefix: Some("snap".into()),
            enable: Some(true),
        }));
        let b = m.backup_strategy.clone().unwrap_or_default();
        assert_eq!(
            (b.start_time.as_str(), b.prefix.as_str(), b.keep_days),
            ("16:00 GMT+08:00", "snap", 5)
        );
        assert_eq!(b.policy(true).enable, "true");
        m.apply_policy(None);
        assert!(m.backup_strategy.is_some());
        m.apply_policy(Some(&SnapshotPolicyDetail {
            enable: Some(false),
            ..SnapshotPolicyDetail::default()
        }));
        assert!(m.backup_strategy.is_none());
    }

    #[test]
    fn the_password_is_sent_in_security_mode_only() {
        let mut m = Cluster {
            admin_password: Some("Secret#123".into()),
            ..Cluster::default()
        };
        assert!(m.create_request().cluster.admin_pwd.is_none());
        m.authority_enabled = Some(true);
        assert_eq!(
            m.create_request().cluster.admin_pwd.as_deref(),
            Some("Secret#123")
        );
        assert!(!format!("{m:?}").contains("Secret#123"));
        let wo = Cluster {
            authority_enabled: Some(true),
            admin_password_wo: Some("Wr1te#only".into()),
            ..Cluster::default()
        };
        assert_eq!(
            wo.create_request().cluster.admin_pwd.as_deref(),
            Some("Wr1te#only")
        );
        assert!(!format!("{wo:?}").contains("Wr1te#only"));
    }

    #[test]
    fn a_write_only_password_is_reset_when_its_version_changes() {
        let prior = Cluster {
            authority_enabled: Some(true),
            admin_password_wo_version: Some(1),
            ..Cluster::default()
        };
        let plan = |version: Option<i64>, wo: Option<&str>| Cluster {
            admin_password_wo_version: version,
            admin_password_wo: wo.map(String::from),
            ..prior.clone()
        };
        // The same version: whatever the value, nothing to send (Terraform cannot see it).
        assert_eq!(
            plan(Some(1), Some("New#pass1")).password_reset(&prior),
            None
        );
        assert_eq!(
            plan(Some(2), Some("New#pass1")).password_reset(&prior),
            Some(("admin_password_wo", "New#pass1"))
        );
        assert_eq!(plan(None, None).password_reset(&prior), None);
        // From admin_password to admin_password_wo: the write-only one takes over.
        let plain = Cluster {
            admin_password: Some("Old#pass1".into()),
            admin_password_wo_version: None,
            ..prior.clone()
        };
        let moved = Cluster {
            admin_password: None,
            admin_password_wo: Some("New#pass1".into()),
            ..plain.clone()
        };
        assert_eq!(
            moved.password_reset(&plain),
            Some(("admin_password_wo", "New#pass1"))
        );
        let changed = Cluster {
            admin_password: Some("New#pass2".into()),
            ..plain.clone()
        };
        assert_eq!(
            changed.password_reset(&plain),
            Some(("admin_password", "New#pass2"))
        );
    }
}
