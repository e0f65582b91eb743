//! Validation of CSS request bodies, following the documented rules (see the module docs of
//! `super`). Each function returns the first problem as a CSS error code and message, because
//! the API reports one `errCode` per answer.

use serde_json::{Map, Value};

pub const VOLUME_TYPES: &[&str] = &["COMMON", "HIGH", "ULTRAHIGH", "ESSD"];
pub const DEFAULT_AZ: &str = "demo-az1";
pub const MAX_NODES: u32 = 32;

/// A rejected request: CSS error code and message (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

fn bad(message: impl Into<String>) -> Invalid {
    Invalid {
        code: "CSS.0001",
        message: format!("Invalid parameter: {}", message.into()),
    }
}

/// A validated create request.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub instance_num: u32,
    pub flavor: String,
    pub volume_type: String,
    pub volume_size: u64,
    pub vpc_id: String,
    pub subnet_id: String,
    pub security_group_id: String,
    pub availability_zone: String,
    pub engine_type: String,
    pub engine_version: String,
    pub https: bool,
    pub authority: bool,
    pub admin_password: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// The automatic snapshot policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    pub enabled: bool,
    pub period: String,
    pub prefix: String,
    pub keep_days: u64,
}

impl Default for Backup {
    fn default() -> Self {
        Backup {
            enabled: false,
            period: "00:00 GMT+08:00".to_owned(),
            prefix: "snapshot".to_owned(),
            keep_days: 7,
        }
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| bad(format!("{path} must be an object")))
}

fn opt_text<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(bad(format!("{path} must be a string"))),
    }
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, Invalid> {
    match opt_text(obj, key, path)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(format!("{path} is required"))),
    }
}

/// A whole number sent as a JSON number or a string of digits (public clients do both).
fn opt_int(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<i64>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{path} must be a whole number"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("{path} must be a whole number"))),
        Some(_) => Err(bad(format!("{path} must be a whole number"))),
    }
}

/// A boolean sent as JSON or as "true"/"false" (older API versions take strings).
pub fn opt_bool(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(bad(format!("{path} must be true or false"))),
    }
}

/// 4–32 characters, a letter first, then letters, digits, `_` and `-`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    (4..=32).contains(&name.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// 8–32 characters with at least three of: upper case, lower case, digits, other characters.
pub fn valid_password(password: &str) -> bool {
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    (8..=32).contains(&password.chars().count()) && classes.iter().filter(|&&c| c).count() >= 3
}

/// `HH:MM GMT+HH:MM` (or `GMT-HH:MM`).
pub fn valid_period(period: &str) -> bool {
    let two_digits = |s: &str, max: u32| {
        s.len() == 2
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let clock = |s: &str, max_hour: u32| {
        s.split_once(':')
            .is_some_and(|(h, m)| two_digits(h, max_hour) && two_digits(m, 59))
    };
    let Some((time, zone)) = period.split_once(" GMT") else {
        return false;
    };
    let offset = zone.strip_prefix('+').or_else(|| zone.strip_prefix('-'));
    clock(time, 23) && offset.is_some_and(|o| clock(o, 14))
}

fn check_volume(volume: &Map<String, Value>) -> Result<(String, u64), Invalid> {
    let volume_type = text(volume, "volume_type", "instance.volume.volume_type")?;
    if !VOLUME_TYPES.contains(&volume_type) {
        return Err(bad(format!(
            "instance.volume.volume_type must be one of {}",
            VOLUME_TYPES.join(", ")
        )));
    }
    let size = opt_int(volume, "size", "instance.volume.size")?
        .ok_or_else(|| bad("instance.volume.size is required"))?;
    if size <= 0 {
        return Err(bad("instance.volume.size must be greater than 0"));
    }
    if size % 10 != 0 {
        return Err(Invalid {
            code: "CSS.5033",
            message: format!("The volume size {size} GB is not a multiple of 10."),
        });
    }
    Ok((volume_type.to_owned(), size.unsigned_abs()))
}

fn check_tags(tags: Option<&Value>) -> Result<Vec<(String, String)>, Invalid> {
    let items = match tags {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad("tags must be an array")),
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for item in items {
        let (key, value) = tag(item, "tags[]")?;
        if out.iter().any(|(k, _)| *k == key) {
            return Err(bad(format!("duplicate tag key {key:?}")));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// One `{"key", "value"}` tag.
pub fn tag(item: &Value, path: &str) -> Result<(String, String), Invalid> {
    let obj = object(item, path)?;
    let key = text(obj, "key", &format!("{path}.key"))?;
    let value = opt_text(obj, "value", &format!("{path}.value"))?.unwrap_or_default();
    if key.chars().count() > 128 || value.chars().count() > 255 {
        return Err(bad(format!(
            "{path}: key at most 128, value at most 255 characters"
        )));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// The create body (`{"cluster": {...}}`) → the spec and the initial snapshot policy.
pub fn validate_create(body: &Value) -> Result<(Spec, Backup), Invalid> {
    let c = object(&body["cluster"], "cluster")?;
    let name = text(c, "name", "name")?;
    if !valid_name(name) {
        return Err(bad(
            "name must be 4 to 32 characters, start with a letter, and contain only letters, digits, '_' and '-'",
        ));
    }
    let instance_num =
        opt_int(c, "instanceNum", "instanceNum")?.ok_or_else(|| bad("instanceNum is required"))?;
    if !(1..=i64::from(MAX_NODES)).contains(&instance_num) {
        return Err(bad(format!(
            "instanceNum must be between 1 and {MAX_NODES}"
        )));
    }
    let instance = object(c.get("instance").unwrap_or(&Value::Null), "instance")?;
    let flavor = text(instance, "flavorRef", "instance.flavorRef")?;
    let (volume_type, volume_size) = check_volume(object(
        instance.get("volume").unwrap_or(&Value::Null),
        "instance.volume",
    )?)?;
    let nics = object(
        instance.get("nics").unwrap_or(&Value::Null),
        "instance.nics",
    )?;
    let vpc_id = text(nics, "vpcId", "instance.nics.vpcId")?;
    let subnet_id = text(nics, "netId", "instance.nics.netId")?;
    let security_group_id = text(nics, "securityGroupId", "instance.nics.securityGroupId")?;
    let availability_zone = opt_text(instance, "availability_zone", "instance.availability_zone")?
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(DEFAULT_AZ);
    let datastore = object(c.get("datastore").unwrap_or(&Value::Null), "datastore")?;
    let engine_type = opt_text(datastore, "type", "datastore.type")?.unwrap_or("elasticsearch");
    let engine_version = text(datastore, "version", "datastore.version")?;
    let https = opt_bool(c, "httpsEnable", "httpsEnable")?.unwrap_or(false);
    let authority = opt_bool(c, "authorityEnable", "authorityEnable")?.unwrap_or(false);
    let password = opt_text(c, "adminPwd", "adminPwd")?;
    if https && !authority {
        return Err(bad("httpsEnable requires authorityEnable"));
    }
    // The password is only used in security mode; otherwise it is ignored, as documented.
    let admin_password = if authority {
        match password {
            None => return Err(bad("adminPwd is required when authorityEnable is true")),
            Some(p) if !valid_password(p) => {
                return Err(bad(
                    "adminPwd must be 8 to 32 characters with at least 3 of: upper case, lower case, digits, special characters",
                ))
            }
            Some(p) => Some(p.to_owned()),
        }
    } else {
        None
    };
    let backup = match c.get("backupStrategy") {
        None | Some(Value::Null) => Backup::default(),
        Some(v) => {
            let b = object(v, "backupStrategy")?;
            let mut backup = policy_fields(b, "backupStrategy")?;
            backup.enabled = true;
            backup
        }
    };
    let spec = Spec {
        name: name.to_owned(),
        instance_num: u32::try_from(instance_num).unwrap_or(1),
        flavor: flavor.to_owned(),
        volume_type,
        volume_size,
        vpc_id: vpc_id.to_owned(),
        subnet_id: subnet_id.to_owned(),
        security_group_id: security_group_id.to_owned(),
        availability_zone: availability_zone.to_owned(),
        engine_type: engine_type.to_owned(),
        engine_version: engine_version.to_owned(),
        https,
        authority,
        admin_password,
        tags: check_tags(c.get("tags"))?,
    };
    Ok((spec, backup))
}

/// `period` (required), `prefix` (default "snapshot"), `keepday` (required, 1–90).
fn policy_fields(obj: &Map<String, Value>, path: &str) -> Result<Backup, Invalid> {
    let period = text(obj, "period", &format!("{path}.period"))?;
    if !valid_period(period) {
        return Err(bad(format!(
            "{path}.period must look like \"16:00 GMT+08:00\""
        )));
    }
    let prefix = opt_text(obj, "prefix", &format!("{path}.prefix"))?
        .filter(|p| !p.is_empty())
        .unwrap_or("snapshot");
    let keep_days = opt_int(obj, "keepday", &format!("{path}.keepday"))?
        .ok_or_else(|| bad(format!("{path}.keepday is required")))?;
    if !(1..=90).contains(&keep_days) {
        return Err(bad(format!("{path}.keepday must be between 1 and 90")));
    }
    Ok(Backup {
        enabled: true,
        period: period.to_owned(),
        prefix: prefix.to_owned(),
        keep_days: keep_days.unsigned_abs(),
    })
}

/// The snapshot policy body: `enable` (required, "true"/"false"); when enabling, the policy
/// fields as for create. Disabling keeps the previous fields.
pub fn validate_policy(body: &Value, previous: &Backup) -> Result<Backup, Invalid> {
    let obj = object(body, "body")?;
    let enable = opt_bool(obj, "enable", "enable")?.ok_or_else(|| bad("enable is required"))?;
    if !enable {
        return Ok(Backup {
            enabled: false,
            ..previous.clone()
        });
    }
    policy_fields(obj, "policy")
}

/// `{"grow": {"modifySize": N}}`, N ≥ 1 and the new total at most 32.
pub fn validate_extend(body: &Value, current: usize) -> Result<u32, Invalid> {
    let grow = object(&body["grow"], "grow")?;
    let n = opt_int(grow, "modifySize", "grow.modifySize")?
        .ok_or_else(|| bad("grow.modifySize is required"))?;
    if n < 1 {
        return Err(bad("grow.modifySize must be at least 1"));
    }
    let total = i64::try_from(current).unwrap_or(i64::MAX).saturating_add(n);
    if total > i64::from(MAX_NODES) {
        return Err(bad(format!(
            "the cluster would have {total} nodes; at most {MAX_NODES} are allowed"
        )));
    }
    Ok(u32::try_from(n).unwrap_or(MAX_NODES))
}

/// `{"newpassword": "..."}`.
pub fn validate_password(body: &Value) -> Result<String, Invalid> {
    let obj = object(body, "body")?;
    let password = text(obj, "newpassword", "newpassword")?;
    if !valid_password(password) {
        return Err(bad(
            "newpassword must be 8 to 32 characters with at least 3 of: upper case, lower case, digits, special characters",
        ));
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"cluster": {
            "name": "es-orders", "instanceNum": 3,
            "instance": {"flavorRef": "ess.spec-4u8g",
                "volume": {"volume_type": "HIGH", "size": 100},
                "nics": {"vpcId": "v", "netId": "n", "securityGroupId": "s"}},
            "datastore": {"type": "elasticsearch", "version": "7.10.2"},
            "httpsEnable": "true", "authorityEnable": true, "adminPwd": "Secret#123",
            "backupStrategy": {"period": "16:00 GMT+08:00", "prefix": "snap", "keepday": 5},
            "tags": [{"key": "team", "value": "search"}]
        }})
    }

    fn code(mut body: Value, path: &[&str], value: Value) -> &'static str {
        let mut slot = &mut body["cluster"];
        for p in path {
            slot = &mut slot[*p];
        }
        *slot = value;
        match validate_create(&body) {
            Ok(_) => "ok",
            Err(e) => e.code,
        }
    }

    #[test]
    fn a_full_create_body_is_accepted() {
        let (spec, backup) = validate_create(&body()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(spec.instance_num, 3);
        assert!(spec.https && spec.authority);
        assert_eq!(spec.availability_zone, DEFAULT_AZ);
        assert_eq!(backup.prefix, "snap");
        assert!(backup.enabled);
        assert_eq!(spec.tags, vec![("team".to_owned(), "search".to_owned())]);
    }

    #[test]
    fn documented_rules_are_enforced() {
        assert_eq!(code(body(), &["name"], json!("1abc")), "CSS.0001");
        assert_eq!(code(body(), &["name"], json!("abc")), "CSS.0001");
        assert_eq!(code(body(), &["name"], json!("a-b_c")), "ok");
        assert_eq!(code(body(), &["instanceNum"], json!(33)), "CSS.0001");
        assert_eq!(code(body(), &["instanceNum"], json!("2")), "ok");
        assert_eq!(
            code(body(), &["instance", "volume", "size"], json!(45)),
            "CSS.5033"
        );
        assert_eq!(
            code(body(), &["instance", "volume", "size"], json!(0)),
            "CSS.0001"
        );
        assert_eq!(
            code(body(), &["instance", "volume", "volume_type"], json!("SSD")),
            "CSS.0001"
        );
        assert_eq!(
            code(body(), &["adminPwd"], json!("alllowercase")),
            "CSS.0001"
        );
        assert_eq!(code(body(), &["adminPwd"], Value::Null), "CSS.0001");
        assert_eq!(code(body(), &["authorityEnable"], json!(false)), "CSS.0001");
        assert_eq!(
            code(body(), &["backupStrategy", "keepday"], json!(91)),
            "CSS.0001"
        );
        assert_eq!(
            code(body(), &["backupStrategy", "period"], json!("16:00")),
            "CSS.0001"
        );
    }

    #[test]
    fn small_rules() {
        assert!(valid_password("Abcdefg1"));
        assert!(valid_password("abcdef1!"));
        assert!(!valid_password("Abcdefgh"));
        assert!(!valid_password("Ab1!"));
        assert!(valid_period("00:00 GMT-03:30"));
        assert!(!valid_period("24:00 GMT+08:00"));
        assert_eq!(
            validate_extend(&json!({"grow": {"modifySize": 2}}), 30),
            Ok(2)
        );
        assert!(validate_extend(&json!({"grow": {"modifySize": 3}}), 30).is_err());
        assert!(validate_extend(&json!({"grow": {"modifySize": 0}}), 1).is_err());
        let off = validate_policy(&json!({"enable": "false"}), &Backup::default());
        assert_eq!(off.map(|b| b.enabled), Ok(false));
    }
}
