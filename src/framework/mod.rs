//! What a provider author touches: values, types, and (as they land) schemas, diagnostics and
//! the provider/resource traits.

pub mod codec_error;
pub mod json;
pub(crate) mod json_text;
pub mod msgpack;
pub mod number;
pub mod types;
pub mod value;

pub use codec_error::{CodecError, Path, PathStep};
pub use types::Type;
pub use value::{Number, Value};

pub mod configure;
pub mod context;
pub mod data_source;
pub mod diagnostics;
pub mod model;
pub mod plan;
pub mod poll;
pub mod private;
pub mod reconcile;
pub mod resource;
pub mod schema;
pub mod server;
pub mod settings;
pub mod shared_status;
pub mod validators;
pub mod write_only;

pub use configure::ConfigureContext;
pub use context::Ctx;
pub use data_source::{DataSource, TypedData};
pub use diagnostics::{AttrPath, Diagnostic, Diagnostics};
pub use private::Private;
pub use resource::{Failure, Outcome, Provider, Resource, Typed};
pub mod docs;
