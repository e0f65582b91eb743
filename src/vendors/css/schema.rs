//! The `css_cluster` schema and its plan-time checks: every rule the API documents is checked
//! before any request is sent, on the attribute it is about.

use std::time::Duration;

use crate::framework::plan::ChangeRequest;
use crate::framework::schema::{
    boolean, list_of, map_of, number, string, Block, Change, Declare, NestedBlock, Schema, Timeouts,
};
use crate::framework::validators::{int_between, matches, not_empty, one_of, whole_number, Check};
use crate::framework::{AttrPath, Diagnostic, Diagnostics, Type, Value};

pub const VOLUME_TYPES: &[&str] = &["COMMON", "HIGH", "ULTRAHIGH", "ESSD"];
pub const MAX_NODES: i64 = 32;
pub const DEFAULT_ENGINE: &str = "elasticsearch";
pub const DEFAULT_PREFIX: &str = "snapshot";
pub const DEFAULT_KEEP_DAYS: i64 = 7;
const HOUR: Duration = Duration::from_secs(3600);

pub fn node_type() -> Type {
    Type::object(
        [
            "id",
            "name",
            "type",
            "status",
            "ip",
            "spec_code",
            "availability_zone",
        ]
        .map(|k| (k, Type::String)),
    )
}

/// Growing is in place (extend API); fewer nodes need a new cluster, as no API removes nodes.
/// An unknown count may turn out smaller, so it plans a replacement.
fn grow_in_place(req: &ChangeRequest, _: &mut Diagnostics) -> Change {
    match (req.prior.as_i64(), req.planned.as_i64()) {
        (Some(before), Some(after)) if after >= before => Change::InPlace,
        _ => Change::Replace,
    }
}

/// The zones a comma-separated list names, whatever their order, spacing or repetition.
fn zone_set(v: &Value) -> Option<Vec<String>> {
    let mut zones: Vec<String> = v
        .as_str()?
        .split(',')
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(str::to_string)
        .collect();
    zones.sort_unstable();
    zones.dedup();
    Some(zones)
}

/// `"az1,az2"` and `"az2, az1"` are the same placement.
fn same_zones(a: &Value, b: &Value) -> bool {
    zone_set(a).is_some_and(|z| Some(z) == zone_set(b))
}

fn volume_size(value: &Value) -> Option<String> {
    match value.as_i64() {
        Some(n) if n > 0 && n % 10 == 0 => None,
        _ => Some(format!(
            "{} is not allowed; the volume size is in GB, greater than 0 and a multiple of 10.",
            value.as_number().map(|n| n.to_string()).unwrap_or_default()
        )),
    }
}

/// The password problem in words, or None. Never quotes the password.
pub fn password_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    if !(8..=32).contains(&length) {
        Some(format!(
            "the password must be 8 to 32 characters long (it has {length})."
        ))
    } else if classes < 3 {
        Some(format!(
            "the password must contain at least 3 of: upper-case letters, lower-case letters, \
             digits, special characters (it has {classes})."
        ))
    } else {
        None
    }
}

fn admin_password(value: &Value) -> Option<String> {
    value.as_str().and_then(password_problem)
}

pub fn schema() -> Schema {
    Schema::new(
        "A Huawei Cloud Search Service (CSS) cluster: Elasticsearch or OpenSearch nodes in your VPC.",
    )
    .attr("id", string().computed().describe("Cluster id."))
    .attr(
        "name",
        string()
            .required()
            .replace()
            .validate(matches(
                "^[A-Za-z][A-Za-z0-9_-]{3,31}$",
                "4 to 32 characters, starting with a letter, then letters, digits, `_` or `-`",
            ))
            .describe("Cluster name: 4–32 characters, a letter first, then letters, digits, `_` or `-`."),
    )
    .attr(
        "engine_type",
        string()
            .default(DEFAULT_ENGINE)
            .replace()
            .validate(not_empty())
            .describe("Search engine (`datastore.type`), e.g. `elasticsearch`."),
    )
    .attr(
        "engine_version",
        string()
            .required()
            .replace()
            .validate(not_empty())
            .describe("Engine version (`datastore.version`), e.g. `7.10.2`."),
    )
    .attr(
        "instance_num",
        number()
            .required()
            .change_rule(grow_in_place, "Growing is done in place through the extend API; shrinking forces a new resource (no API removes nodes).")
            .validate(int_between(1, MAX_NODES))
            .describe("Number of data nodes, 1–32. Growing is done in place through the extend API; shrinking creates a new cluster."),
    )
    .attr(
        "flavor",
        string()
            .required()
            .replace()
            .validate(not_empty())
            .describe("Node flavor (`flavorRef`), e.g. `ess.spec-4u8g`."),
    )
    .block(
        "volume",
        NestedBlock::single(
            Block::new("The data disk of every node.")
                .attr(
                    "volume_type",
                    string()
                        .required()
                        .validate(one_of(VOLUME_TYPES))
                        .describe("`COMMON`, `HIGH`, `ULTRAHIGH` or `ESSD`."),
                )
                .attr(
                    "size",
                    number()
                        .required()
                        .validate(Check(volume_size))
                        .describe("Size in GB: greater than 0 and a multiple of 10."),
                ),
        )
        .required()
        .replace(),
    )
    .attr(
        "vpc_id",
        string().required().replace().validate(not_empty()).describe("VPC of the nodes (`nics.vpcId`)."),
    )
    .attr(
        "subnet_id",
        string().required().replace().validate(not_empty()).describe("Subnet of the nodes (`nics.netId`)."),
    )
    .attr(
        "security_group_id",
        string()
            .required()
            .replace()
            .validate(not_empty())
            .describe("Security group of the nodes (`nics.securityGroupId`)."),
    )
    .attr(
        "availability_zone",
        string()
            .optional()
            .computed()
            .replace()
            .semantic_eq(same_zones)
            .describe("Availability zone, or several separated by commas (in any order); chosen by the API when left out."),
    )
    .attr(
        "https_enabled",
        boolean()
            .default(false)
            .replace()
            .describe("Serve HTTPS. Requires `authority_enabled`."),
    )
    .attr(
        "authority_enabled",
        boolean()
            .default(false)
            .replace()
            .describe("Security mode: users must log in. Requires `admin_password` or `admin_password_wo`."),
    )
    .attr(
        "admin_password",
        string()
            .optional()
            .sensitive()
            .in_place()
            .no_removal("CSS has no API that removes the admin password; set a new one instead (moving it to `admin_password_wo` is not a removal).")
            .validate(Check(admin_password))
            .describe("Password of the `admin` user in security mode: 8–32 characters with at least 3 of upper-case letters, lower-case letters, digits and special characters. Changed in place through the password reset API. The API never returns it, so after an import the first plan shows it as an in-place update. It is stored in the state; with Terraform 1.11 or later, `admin_password_wo` keeps it out of plan and state."),
    )
    .attr(
        "admin_password_wo",
        string()
            .optional()
            .sensitive()
            .write_only_twin_of("admin_password")
            .validate(Check(admin_password))
            .describe("The admin password, kept out of plan and state (it may come from an ephemeral value), with the same rules as `admin_password`: set one of them, not both. It is sent when the cluster is created. Terraform cannot see it change: to send a new one through the password reset API, change `admin_password_wo_version` too."),
    )
    .attr(
        "admin_password_wo_version",
        number()
            .optional()
            .version_of("admin_password_wo")
            .validate(whole_number())
            .describe("Any whole number, kept in state (the password is not). Change it, for example by adding 1, to rotate `admin_password_wo` through the password reset API."),
    )
    .block(
        "backup_strategy",
        NestedBlock::single(
            Block::new("Automatic snapshots (the snapshot policy API); removing the block turns them off.")
                .attr(
                    "start_time",
                    string()
                        .required()
                        .validate(matches(
                            r"^([01][0-9]|2[0-3]):[0-5][0-9] GMT[+-](0[0-9]|1[0-4]):[0-5][0-9]$",
                            "a time and a UTC offset like \"16:00 GMT+08:00\"",
                        ))
                        .describe("When snapshots start each day, with the UTC offset: `\"HH:MM GMT+HH:MM\"`, e.g. `\"16:00 GMT+08:00\"`."),
                )
                .attr(
                    "prefix",
                    string()
                        .default(DEFAULT_PREFIX)
                        .validate(not_empty())
                        .describe("Prefix of the snapshot names."),
                )
                .attr(
                    "keep_days",
                    number()
                        .default(DEFAULT_KEEP_DAYS)
                        .validate(int_between(1, 90))
                        .describe("Days a snapshot is kept, 1–90."),
                ),
        )
        .in_place(),
    )
    .attr(
        "tags",
        map_of(Type::String)
            .optional()
            .in_place()
            .describe("Tags of the cluster, changed in place through the tags API."),
    )
    .attr(
        "status",
        string()
            .computed()
            .describe("`\"100\"` while an operation runs, `\"200\"` available, `\"303\"` failed."),
    )
    .attr(
        "endpoint",
        string().computed().describe("Address of the cluster inside the VPC, `ip:9200`."),
    )
    .attr("created", string().computed().describe("When the cluster was created."))
    .attr(
        "nodes",
        list_of(node_type())
            .computed()
            .recompute_when(&["instance_num"])
            .describe("The cluster's nodes: `id`, `name`, `type`, `status`, `ip`, `spec_code`, `availability_zone`."),
    )
    .timeouts(Timeouts {
        create: Some(HOUR),
        update: Some(HOUR),
        delete: Some(HOUR),
        read: None,
    })
}

/// A boolean argument as configured: `Some(default false)` when null, `None` when unknown.
fn flag(config: &Value, name: &str) -> Option<bool> {
    match config.get(name) {
        None | Some(Value::Null) => Some(false),
        Some(v) if v.is_known() => v.as_bool(),
        Some(_) => None,
    }
}

/// Checks across attributes, on known values only.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if config.is_null() || !config.is_known() {
        return;
    }
    let https = flag(config, "https_enabled");
    let authority = flag(config, "authority_enabled");
    let password = config.get("admin_password").unwrap_or(&Value::Null);
    let write_only = config.get("admin_password_wo").unwrap_or(&Value::Null);
    if https == Some(true) && authority == Some(false) {
        diags.push(
            Diagnostic::error(
                "Invalid value for https_enabled",
                "https_enabled = true requires authority_enabled = true: CSS serves HTTPS only in security mode.",
            )
            .at(AttrPath::root("https_enabled")),
        );
    }
    if authority == Some(true) && password.is_null() && write_only.is_null() {
        diags.push(
            Diagnostic::error(
                "Missing admin_password",
                "admin_password is required when authority_enabled = true (security mode needs the admin user's password); with Terraform 1.11 or later, admin_password_wo may set it instead.",
            )
            .at(AttrPath::root("admin_password")),
        );
    }
    if authority == Some(false) && write_only.is_known() && !write_only.is_null() {
        diags.push(
            Diagnostic::warning(
                "admin_password_wo is not used",
                "admin_password_wo only applies in security mode (authority_enabled = true): it is not sent to CSS.",
            )
            .at(AttrPath::root("admin_password_wo")),
        );
    }
    if authority == Some(false) && password.is_known() && !password.is_null() {
        diags.push(
            Diagnostic::warning(
                "admin_password is not used",
                "admin_password only applies in security mode (authority_enabled = true). It is kept in state but not sent to CSS.",
            )
            .at(AttrPath::root("admin_password")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::plan;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn errors_at(config: &Value) -> Vec<String> {
        let s = schema();
        let mut diags = Diagnostics::new();
        plan::validate(&s.block, config, &AttrPath::default(), &mut diags);
        validate(config, &mut diags);
        diags
            .0
            .iter()
            .filter(|d| d.severity == crate::framework::diagnostics::Severity::Error)
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn single_attribute_rules() {
        let cases = [
            ("name", Value::from("abc"), 1),
            ("name", Value::from("1abc"), 1),
            ("name", Value::from("es_orders-1"), 0),
            ("instance_num", Value::from(0i64), 1),
            ("instance_num", Value::from(33i64), 1),
            ("instance_num", Value::from(32i64), 0),
            ("admin_password", Value::from("short1A"), 1),
            ("admin_password", Value::from("lowercaseonly1"), 1),
            ("admin_password", Value::from("Lowercase1"), 0),
        ];
        for (attr, value, want) in cases {
            let got = errors_at(&config(&[(attr, value.clone())]));
            assert_eq!(got.len(), want, "{attr} = {value:?}: {got:?}");
        }
        let volume = |t: &str, size: i64| {
            config(&[(
                "volume",
                config(&[("volume_type", t.into()), ("size", size.into())]),
            )])
        };
        assert_eq!(errors_at(&volume("HIGH", 100)), Vec::<String>::new());
        assert_eq!(errors_at(&volume("HIGH", 45)), vec!["volume.size"]);
        assert_eq!(errors_at(&volume("HIGH", 0)), vec!["volume.size"]);
        assert_eq!(errors_at(&volume("SSD", 40)), vec!["volume.volume_type"]);
        let backup = |start: &str, keep: i64| {
            config(&[(
                "backup_strategy",
                config(&[("start_time", start.into()), ("keep_days", keep.into())]),
            )])
        };
        assert!(errors_at(&backup("16:00 GMT+08:00", 7)).is_empty());
        assert!(errors_at(&backup("00:30 GMT-03:30", 90)).is_empty());
        assert_eq!(
            errors_at(&backup("16:00", 7)),
            vec!["backup_strategy.start_time"]
        );
        assert_eq!(
            errors_at(&backup("16:00 GMT+08:00", 91)),
            vec!["backup_strategy.keep_days"]
        );
    }

    #[test]
    fn cross_attribute_rules() {
        let https_alone = config(&[("https_enabled", true.into())]);
        assert_eq!(errors_at(&https_alone), vec!["https_enabled"]);
        let secure = config(&[
            ("https_enabled", true.into()),
            ("authority_enabled", true.into()),
        ]);
        assert_eq!(errors_at(&secure), vec!["admin_password"]);
        let complete = config(&[
            ("https_enabled", true.into()),
            ("authority_enabled", true.into()),
            ("admin_password", "Str0ng#pass".into()),
        ]);
        assert!(errors_at(&complete).is_empty());
        // Unknown values are judged later, once known.
        let unknown = config(&[
            ("https_enabled", true.into()),
            ("authority_enabled", Value::Unknown),
        ]);
        assert!(errors_at(&unknown).is_empty());
        let unknown_password = config(&[
            ("authority_enabled", true.into()),
            ("admin_password", Value::Unknown),
        ]);
        assert!(errors_at(&unknown_password).is_empty());
    }

    #[test]
    fn the_write_only_password_follows_the_same_rules_and_conflicts_with_the_plain_one() {
        let secure = |pairs: &[(&str, Value)]| {
            let mut all = vec![("authority_enabled", Value::from(true))];
            all.extend(pairs.iter().cloned());
            config(&all)
        };
        assert!(errors_at(&secure(&[("admin_password_wo", "Str0ng#pass".into())])).is_empty());
        assert_eq!(
            errors_at(&secure(&[("admin_password_wo", "weakpassword".into())])),
            vec!["admin_password_wo"]
        );
        assert_eq!(
            errors_at(&secure(&[
                ("admin_password", "Str0ng#pass".into()),
                ("admin_password_wo", "Str0ng#pass".into()),
            ])),
            vec!["admin_password_wo"]
        );
        assert_eq!(
            errors_at(&secure(&[("admin_password_wo_version", 1i64.into())])),
            // No password at all, and a version with nothing to send.
            vec!["admin_password_wo_version", "admin_password"]
        );
        let mut rotated = secure(&[("admin_password_wo", "Str0ng#pass".into())]);
        if let Value::Object(f) = &mut rotated {
            f.insert("admin_password_wo_version".into(), 2i64.into());
        }
        assert!(errors_at(&rotated).is_empty());
        // An ephemeral value may be unknown at validation: judged once known.
        assert!(errors_at(&secure(&[("admin_password_wo", Value::Unknown)])).is_empty());
    }

    #[test]
    fn password_diagnostics_never_quote_the_password() {
        let secret = "onlylowercase";
        let mut diags = Diagnostics::new();
        let s = schema();
        plan::validate(
            &s.block,
            &config(&[("admin_password", secret.into())]),
            &AttrPath::default(),
            &mut diags,
        );
        assert_eq!(diags.0.len(), 1);
        assert!(!format!("{:?}", diags.0).contains(secret));
    }

    #[test]
    fn shrinking_replaces_growing_does_not() {
        let private = crate::framework::Private::default();
        let context = crate::framework::plan::PlanContext {
            prior: &Value::Null,
            config: &Value::Null,
            private: &private,
        };
        let pick = |before: Value, after: Value| {
            let req = ChangeRequest {
                path: &AttrPath::root("instance_num"),
                prior: &before,
                planned: &after,
                config: &after,
                planned_resource: &Value::Null,
                context: &context,
            };
            grow_in_place(&req, &mut Diagnostics::new())
        };
        assert_eq!(pick(3i64.into(), 2i64.into()), Change::Replace);
        assert_eq!(pick(3i64.into(), 5i64.into()), Change::InPlace);
        assert_eq!(pick(3i64.into(), Value::Unknown), Change::Replace);
        assert!(same_zones(&"az1,az2".into(), &"az2, az1".into()));
        assert!(!same_zones(&"az1".into(), &"az2".into()));
    }
}
