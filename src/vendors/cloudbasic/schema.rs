//! The `cloudbasic_cluster` schema and its plan-time checks on server addresses, port and keys.

use super::validate::{host, HOST_RULE};
use crate::framework::schema::{number, string, Declare, Schema};
use crate::framework::validators::{int_between, not_empty, Check};
use crate::framework::Value;

fn host_check(value: &Value) -> Option<String> {
    let text = value.as_str()?;
    (!host(text)).then(|| format!("{text:?} is not {HOST_RULE}."))
}

pub fn schema() -> Schema {
    Schema::new(
        "A CloudBasic Multi-AZ HA cluster between the instance whose API the provider talks to \
         (`local_server`) and a remote instance. The API cannot describe a cluster, so the \
         resource never reads one back: see \"No read action\" below.",
    )
    .attr(
        "id",
        string().computed().describe("Equals `local_server`; also the import id."),
    )
    .attr(
        "local_server",
        string()
            .required()
            .replace()
            .validate(Check(host_check))
            .describe(
                "IPv4 address, IPv6 address or DNS name of this instance (the one at the provider's `endpoint`), sent as `localServer`.",
            ),
    )
    .attr(
        "remote_server",
        string().required().in_place().validate(not_empty()).describe(
            "IP address or DNS name of the remote instance, sent as `remoteServer`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "port",
        number()
            .required()
            .in_place()
            .validate(int_between(1, 65535))
            .describe(
                "Port of the cluster communication, 1–65535 (the vendor's defaults: 81, or 444 with TLS). Changed in place with AlterCluster.",
            ),
    )
    .attr(
        "remote_public_key",
        string().required().in_place().validate(not_empty()).describe(
            "API public key of the remote instance (from its ActivateInstance or CreateUser), sent as `publicKey`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "remote_private_key",
        string().required().sensitive().in_place().validate(not_empty()).describe(
            "API private key paired with `remote_public_key`, sent as `privateKey`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "standalone_server",
        string()
            .default_from("local_server")
            .state_only()
            .validate(Check(host_check))
            .describe(
                "The server that stays primary when the cluster is destroyed, sent as `standaloneServer` to DeleteCluster.",
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::plan::plan;
    use crate::framework::resource::Typed;
    use crate::framework::settings::Configured;
    use crate::framework::Diagnostics;
    use crate::vendors::cloudbasic::resource::ClusterResource;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn config() -> Value {
        object(&[
            ("local_server", "10.0.0.1".into()),
            ("remote_server", "10.0.0.2".into()),
            ("port", Value::from(81i64)),
            ("remote_public_key", "PUB".into()),
            ("remote_private_key", "PRIV".into()),
        ])
    }

    fn errors(config: &Value) -> Vec<String> {
        let r = Typed::boxed(ClusterResource::new(Configured::default()));
        let mut d = Diagnostics::new();
        r.validate(config, &mut d);
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    fn plan_of(
        s: &Schema,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> crate::framework::plan::Planned {
        plan(
            s,
            &crate::framework::plan::PlanInput {
                prior,
                proposed,
                config,
                private: &crate::framework::Private::default(),
            },
        )
    }

    fn with(mut v: Value, name: &str, value: Value) -> Value {
        if let Value::Object(f) = &mut v {
            f.insert(name.to_string(), value);
        }
        v
    }

    #[test]
    fn validation_names_the_attribute() {
        assert!(errors(&config()).is_empty());
        assert_eq!(
            errors(&with(config(), "port", Value::from(70000i64))),
            ["port"]
        );
        assert_eq!(errors(&with(config(), "port", Value::from(0i64))), ["port"]);
        assert_eq!(
            errors(&with(config(), "remote_public_key", "".into())),
            ["remote_public_key"]
        );
        assert_eq!(
            errors(&with(config(), "remote_private_key", " ".into())),
            ["remote_private_key"]
        );
        assert_eq!(
            errors(&with(config(), "local_server", "not a host!".into())),
            ["local_server"]
        );
        assert_eq!(
            errors(&with(config(), "local_server", "::1".into())),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&with(config(), "standalone_server", "-bad".into())),
            ["standalone_server"]
        );
        assert!(errors(&with(config(), "port", Value::Unknown)).is_empty());
    }

    #[test]
    fn standalone_defaults_to_local_and_only_local_replaces() {
        let s = schema();
        let created = plan_of(&s, &Value::Null, &config(), &config());
        assert_eq!(
            created.state.get("standalone_server"),
            Some(&Value::from("10.0.0.1"))
        );
        assert_eq!(created.state.get("id"), Some(&Value::Unknown));

        let prior = with(
            with(config(), "id", "10.0.0.1".into()),
            "standalone_server",
            "10.0.0.1".into(),
        );
        let moved = with(prior.clone(), "port", Value::from(444i64));
        let p = plan_of(
            &s,
            &prior,
            &moved,
            &with(config(), "port", Value::from(444i64)),
        );
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.state.get("id"), Some(&Value::from("10.0.0.1")));

        let relocated_cfg = with(config(), "local_server", "10.0.0.9".into());
        let relocated = with(
            with(prior.clone(), "local_server", "10.0.0.9".into()),
            "standalone_server",
            Value::Null,
        );
        let p = plan_of(&s, &prior, &relocated, &relocated_cfg);
        let paths: Vec<String> = p.requires_replace.iter().map(|p| p.to_string()).collect();
        assert_eq!(paths, ["local_server"]);
        assert_eq!(
            p.state.get("standalone_server"),
            Some(&Value::from("10.0.0.9"))
        );
    }
}
