//! Every schema of every provider is sound, and every resource's model fits its schema
//! attribute by attribute: each argument declares its update behaviour (replace, in place, state
//! only, fixed or a rule; `timeouts` and write-only arguments exempt), and a value with every
//! attribute set comes back unchanged through the model (a misspelled, missing or mistyped field
//! names the attribute).

use clusterform::framework::schema::SchemaKind;
use clusterform::framework::Provider;
use clusterform::vendors::cloudbasic::CloudBasicProvider;
use clusterform::vendors::css::CssProvider;
use clusterform::vendors::instaclustr::InstaclustrProvider;
use clusterform::vendors::redis::RedisProvider;

fn providers() -> Vec<Box<dyn Provider>> {
    vec![
        Box::new(InstaclustrProvider::new()),
        Box::new(CloudBasicProvider::new()),
        Box::new(CssProvider::new()),
        Box::new(RedisProvider::new()),
    ]
}

#[test]
fn every_schema_and_model_is_sound() {
    let mut problems = Vec::new();
    let mut resources = 0;
    for provider in providers() {
        for p in provider.schema().check(SchemaKind::Provider) {
            problems.push(format!("provider {}: {p}", provider.type_name()));
        }
        for resource in provider.resources() {
            resources += 1;
            for p in resource.check() {
                problems.push(format!("{}: {p}", resource.type_name()));
            }
        }
        for data_source in provider.data_sources() {
            for p in data_source.check() {
                problems.push(format!("data {}: {p}", data_source.type_name()));
            }
        }
    }
    assert_eq!(resources, 5, "every resource is walked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_argument_declares_its_update_behaviour() {
    for provider in providers() {
        for resource in provider.resources() {
            let block = &resource.schema().block;
            for (name, attr) in &block.attributes {
                // A write-only argument's changes are invisible to Terraform: its version
                // attribute declares the behaviour instead.
                if (attr.required || attr.optional) && !attr.write_only {
                    assert!(
                        attr.change.is_some(),
                        "{}.{name} declares no update behaviour",
                        resource.type_name()
                    );
                }
            }
            for (name, nested) in &block.blocks {
                if name == "timeouts" {
                    continue;
                }
                let inner = nested
                    .block
                    .attributes
                    .values()
                    .filter(|a| a.required || a.optional)
                    .all(|a| a.change.is_some());
                assert!(
                    nested.change.is_some() || inner,
                    "{}.{name} declares no update behaviour",
                    resource.type_name()
                );
            }
        }
    }
}
