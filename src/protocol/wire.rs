//! Conversions between the wire messages and the framework's types. Protocols 5 and 6 share
//! these message shapes under different packages, so one macro writes the conversions for both.

macro_rules! wire_conversions {
    ($pb:ident) => {
        use crate::framework::diagnostics::{
            AttrPath, Diagnostic, Diagnostics, PathStep, Severity,
        };
        use crate::framework::schema::{Block, Nesting, Schema};
        use crate::framework::{json, msgpack, Type, Value};
        pub use crate::protocol::pb::$pb as pb;

        /// Terraform sends msgpack; JSON appears only in a few places (and in tests).
        pub fn decode(
            dv: Option<&pb::DynamicValue>,
            ty: &Type,
            what: &str,
        ) -> Result<Value, Diagnostics> {
            let Some(dv) = dv else { return Ok(Value::Null) };
            let result = if !dv.msgpack.is_empty() {
                msgpack::decode(&dv.msgpack, ty)
            } else if !dv.json.is_empty() {
                json::decode(&dv.json, ty)
            } else {
                return Ok(Value::Null);
            };
            result.map_err(|e| {
                Diagnostic::error(
                    format!("Provider could not decode the {what}"),
                    format!("The value sent by Terraform does not match the schema: {e}"),
                )
                .into()
            })
        }

        pub fn encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostics> {
            msgpack::encode(v, ty)
                .map(|bytes| pb::DynamicValue {
                    msgpack: bytes,
                    json: Vec::new(),
                })
                .map_err(|e| {
                    Diagnostic::error(
                        "Provider could not encode a value",
                        format!("This is a bug in the provider: {e}"),
                    )
                    .into()
                })
        }

        pub fn path(p: &AttrPath) -> pb::AttributePath {
            use pb::attribute_path::step::Selector;
            pb::AttributePath {
                steps: p
                    .steps()
                    .iter()
                    .map(|s| pb::attribute_path::Step {
                        selector: Some(match s {
                            PathStep::Attr(n) => Selector::AttributeName(n.clone()),
                            PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                            PathStep::Index(i) => Selector::ElementKeyInt(*i),
                        }),
                    })
                    .collect(),
            }
        }

        /// Summaries and details are scrubbed of registered secrets here, at the last point
        /// before Terraform shows them, whatever produced them (an API's echo, a wrapped error).
        pub fn diagnostics(d: Diagnostics) -> Vec<pb::Diagnostic> {
            use crate::http::secrets::scrub;
            d.0.into_iter()
                .map(|d| pb::Diagnostic {
                    severity: match d.severity {
                        Severity::Error => pb::diagnostic::Severity::Error as i32,
                        Severity::Warning => pb::diagnostic::Severity::Warning as i32,
                    },
                    summary: scrub(&d.summary).into_owned(),
                    detail: scrub(&d.detail).into_owned(),
                    attribute: d.path.as_ref().map(path),
                })
                .collect()
        }

        fn block(b: &Block, version: i64) -> pb::schema::Block {
            use pb::schema::nested_block::NestingMode;
            pb::schema::Block {
                version,
                attributes: b
                    .attributes
                    .iter()
                    .map(|(name, a)| pb::schema::Attribute {
                        name: name.clone(),
                        r#type: a.ty.to_json_bytes(),
                        description: a.description.clone(),
                        required: a.required,
                        optional: a.optional,
                        computed: a.computed,
                        sensitive: a.sensitive,
                        deprecated: a.deprecated,
                        write_only: a.write_only,
                        ..Default::default()
                    })
                    .collect(),
                block_types: b
                    .blocks
                    .iter()
                    .map(|(name, nb)| pb::schema::NestedBlock {
                        type_name: name.clone(),
                        block: Some(block(&nb.block, 0)),
                        nesting: match nb.nesting {
                            Nesting::Single => NestingMode::Single,
                            Nesting::List => NestingMode::List,
                            Nesting::Set => NestingMode::Set,
                            Nesting::Map => NestingMode::Map,
                        } as i32,
                        min_items: i64::from(nb.min_items),
                        max_items: i64::from(nb.max_items),
                    })
                    .collect(),
                description: b.description.clone(),
                description_kind: pb::StringKind::Plain as i32,
                deprecated: b.deprecated,
            }
        }

        pub fn schema(s: &Schema) -> pb::Schema {
            pb::Schema {
                version: s.version,
                block: Some(block(&s.block, s.version)),
            }
        }
    };
}

pub(crate) use wire_conversions;
