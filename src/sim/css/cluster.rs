//! One simulated CSS cluster: its settings, its lifecycle (advanced lazily from elapsed time, so
//! no background task is needed) and its JSON documents.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use super::validate::{Backup, Spec};

/// How many paces each lifecycle step lasts.
pub const CREATE_PACES: u32 = 3;
pub const FAIL_PACES: u32 = 2;
pub const GROW_PACES: u32 = 2;
pub const DELETE_PACES: u32 = 1;

/// Where a cluster is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Status "100", action CREATING; ends in Available, or in Failed when `fail` is set.
    Creating { fail: Option<FailedReason> },
    /// Status "200".
    Available,
    /// Status "100", action GROWING: the new nodes exist but are not ready.
    Growing,
    /// Status "303" with `failedReason`.
    Failed(FailedReason),
    /// Status "100", action DELETING; then the cluster is gone.
    Deleting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedReason {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub az: String,
    pub ip: String,
    /// False while the node is being created (initial create or extend).
    pub ready: bool,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub project: String,
    pub spec: Spec,
    /// The admin password (security mode only). Never shown in any response.
    pub password: Option<String>,
    pub backup: Backup,
    pub tags: Vec<(String, String)>,
    pub instances: Vec<Instance>,
    pub phase: Phase,
    /// When the current phase began.
    pub phase_started: Instant,
    pub created: String,
    pub updated: String,
    /// Third octet of the node addresses, so clusters do not share addresses.
    pub subnet: u8,
}

/// `2024-05-01T10:00:00` in UTC, the format of the API's `created`/`updated`.
pub fn timestamp() -> String {
    let text = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    text.trim_end_matches('Z').to_owned()
}

impl Cluster {
    pub fn new(
        spec: Spec,
        project: &str,
        backup: Backup,
        fail: Option<FailedReason>,
        subnet: u8,
        now: Instant,
    ) -> Cluster {
        let created = timestamp();
        let mut cluster = Cluster {
            id: uuid::Uuid::new_v4().to_string(),
            project: project.to_owned(),
            password: spec.admin_password.clone(),
            tags: spec.tags.clone(),
            backup,
            instances: Vec::new(),
            phase: Phase::Creating { fail },
            phase_started: now,
            updated: created.clone(),
            created,
            subnet,
            spec,
        };
        let count = cluster.spec.instance_num;
        cluster.add_instances(count);
        cluster
    }

    /// Adds `count` nodes (not ready), spread round-robin over the cluster's zones.
    pub fn add_instances(&mut self, count: u32) {
        let zones: Vec<String> = self
            .spec
            .availability_zone
            .split(',')
            .map(|z| z.trim().to_owned())
            .filter(|z| !z.is_empty())
            .collect();
        for _ in 0..count {
            let n = self.instances.len();
            let az = zones
                .get(n % zones.len().max(1))
                .cloned()
                .unwrap_or_default();
            self.instances.push(Instance {
                id: uuid::Uuid::new_v4().to_string(),
                name: format!("{}-ess-esn-{}-1", self.spec.name, n + 1),
                az,
                // ≤ 32 nodes: the last octet stays within 10..=41.
                ip: format!("192.168.{}.{}", self.subnet, 10 + n),
                ready: false,
            });
        }
    }

    /// Moves to `phase` now.
    pub fn enter(&mut self, phase: Phase, now: Instant) {
        self.phase = phase;
        self.phase_started = now;
        self.updated = timestamp();
    }

    /// Advances the lifecycle by the time elapsed. Returns false when the cluster is gone
    /// (deletion finished).
    pub fn advance(&mut self, now: Instant, pace: Duration) -> bool {
        let elapsed = now.saturating_duration_since(self.phase_started);
        let after = |paces: u32| elapsed >= pace * paces;
        match self.phase.clone() {
            Phase::Creating { fail: Some(reason) } if after(FAIL_PACES) => {
                self.phase_started += pace * FAIL_PACES;
                self.phase = Phase::Failed(reason);
                self.updated = timestamp();
            }
            Phase::Creating { fail: None } if after(CREATE_PACES) => {
                self.phase_started += pace * CREATE_PACES;
                self.become_available();
            }
            Phase::Growing if after(GROW_PACES) => {
                self.phase_started += pace * GROW_PACES;
                self.become_available();
            }
            Phase::Deleting if after(DELETE_PACES) => return false,
            _ => {}
        }
        true
    }

    fn become_available(&mut self) {
        self.phase = Phase::Available;
        self.updated = timestamp();
        for instance in &mut self.instances {
            instance.ready = true;
        }
        self.spec.instance_num = u32::try_from(self.instances.len()).unwrap_or(u32::MAX);
    }

    /// An operation (extend, password, snapshot policy) is running: others get CSS.0011.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Creating { .. } | Phase::Growing | Phase::Deleting
        )
    }

    pub fn status(&self) -> &'static str {
        match self.phase {
            Phase::Available => "200",
            Phase::Failed(_) => "303",
            _ => "100",
        }
    }

    fn action(&self) -> Option<&'static str> {
        match self.phase {
            Phase::Creating { .. } => Some("CREATING"),
            Phase::Growing => Some("GROWING"),
            Phase::Deleting => Some("DELETING"),
            _ => None,
        }
    }

    fn instance_status(&self, instance: &Instance) -> &'static str {
        match self.phase {
            Phase::Failed(_) => "303",
            _ if instance.ready => "200",
            _ => "100",
        }
    }

    /// Progress of the running action as the API shows it (`"40%"`).
    fn progress(&self, now: Instant, pace: Duration) -> String {
        let paces = match self.phase {
            Phase::Creating { .. } => CREATE_PACES,
            Phase::Growing => GROW_PACES,
            _ => DELETE_PACES,
        };
        let total = (pace * paces).as_secs_f64();
        let done = now
            .saturating_duration_since(self.phase_started)
            .as_secs_f64();
        let percent = if total > 0.0 {
            (done / total * 100.0).min(99.0)
        } else {
            99.0
        };
        format!("{}%", percent as u32)
    }

    pub fn tags_json(&self) -> Value {
        Value::Array(
            self.tags
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect(),
        )
    }

    /// `GET /v1.0/{project_id}/clusters/{id}`.
    pub fn detail(&self, now: Instant, pace: Duration) -> Value {
        let s = &self.spec;
        let instances: Vec<Value> = self
            .instances
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "name": i.name,
                    "type": "ess",
                    "specCode": s.flavor,
                    "azCode": i.az,
                    "ip": i.ip,
                    "status": self.instance_status(i),
                    "volume": {"type": s.volume_type, "size": s.volume_size},
                })
            })
            .collect();
        let endpoint = self
            .instances
            .first()
            .map(|i| format!("{}:9200", i.ip))
            .unwrap_or_default();
        let (actions, progress) = match self.action() {
            Some(a) => (vec![a], json!({ a: self.progress(now, pace) })),
            None => (Vec::new(), json!({})),
        };
        let failed = match &self.phase {
            Phase::Failed(r) => json!({"errorCode": r.code, "errorMsg": r.message}),
            _ => Value::Null,
        };
        json!({
            "id": self.id,
            "name": s.name,
            "status": self.status(),
            "created": self.created,
            "updated": self.updated,
            "endpoint": endpoint,
            "datastore": {"type": s.engine_type, "version": s.engine_version},
            "instances": instances,
            "vpcId": s.vpc_id,
            "subnetId": s.subnet_id,
            "securityGroupId": s.security_group_id,
            "httpsEnable": s.https,
            "authorityEnable": s.authority,
            "diskEncrypted": false,
            "enterpriseProjectId": "0",
            "actions": actions,
            "actionProgress": progress,
            "tags": self.tags_json(),
            "failedReason": failed,
        })
    }

    /// `GET …/index_snapshot/policy`.
    pub fn policy(&self) -> Value {
        json!({
            "keepday": self.backup.keep_days,
            "period": self.backup.period,
            "prefix": self.backup.prefix,
            "bucket": self.backup.enabled.then_some("css-backup-demo"),
            "basePath": self.backup.enabled.then_some("css_repository/snapshots"),
            "agency": self.backup.enabled.then_some("css_obs_agency"),
            "enable": if self.backup.enabled { "true" } else { "false" },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::css::validate::validate_create;

    fn spec() -> Spec {
        let body = json!({"cluster": {
            "name": "es-test", "instanceNum": 2,
            "instance": {"flavorRef": "ess.spec-4u8g",
                "volume": {"volume_type": "COMMON", "size": 40},
                "nics": {"vpcId": "v", "netId": "n", "securityGroupId": "s"},
                "availability_zone": "az1,az2"},
            "datastore": {"version": "7.10.2"}
        }});
        match validate_create(&body) {
            Ok((spec, _)) => spec,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn lifecycle_create_grow_delete() {
        let t0 = Instant::now();
        let pace = Duration::from_secs(10);
        let mut c = Cluster::new(spec(), "p", Backup::default(), None, 1, t0);
        assert_eq!(c.instances.len(), 2);
        assert_eq!(c.instances[1].az, "az2");
        assert!(c.advance(t0 + Duration::from_secs(29), pace));
        assert_eq!(c.status(), "100");
        assert!(c.busy());
        let doc = c.detail(t0, pace);
        assert_eq!(doc["actions"], json!(["CREATING"]));
        assert_eq!(doc["instances"][0]["status"], "100");
        c.advance(t0 + Duration::from_secs(30), pace);
        assert_eq!(c.status(), "200");
        assert_eq!(c.detail(t0, pace)["instances"][1]["status"], "200");

        let t1 = t0 + Duration::from_secs(100);
        c.add_instances(1);
        c.enter(Phase::Growing, t1);
        let doc = c.detail(t1, pace);
        assert_eq!(doc["status"], "100");
        assert_eq!(doc["instances"][2]["status"], "100");
        assert_eq!(doc["instances"][0]["status"], "200");
        c.advance(t1 + Duration::from_secs(20), pace);
        assert_eq!(c.status(), "200");
        assert_eq!(c.spec.instance_num, 3);

        c.enter(Phase::Deleting, t1);
        assert!(c.advance(t1 + Duration::from_secs(9), pace));
        assert!(!c.advance(t1 + Duration::from_secs(10), pace));
    }

    #[test]
    fn a_failing_create_ends_in_303_with_the_reason() {
        let t0 = Instant::now();
        let pace = Duration::from_secs(1);
        let reason = FailedReason {
            code: "CSS.6000".into(),
            message: "no capacity".into(),
        };
        let mut c = Cluster::new(spec(), "p", Backup::default(), Some(reason), 1, t0);
        c.advance(t0 + Duration::from_secs(2), pace);
        let doc = c.detail(t0, pace);
        assert_eq!(doc["status"], "303");
        assert_eq!(doc["failedReason"]["errorMsg"], "no capacity");
        assert_eq!(doc["instances"][0]["status"], "303");
        assert!(!c.busy());
    }
}
