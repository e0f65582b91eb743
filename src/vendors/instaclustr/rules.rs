//! The plan rules of `instaclustr_cluster` that depend on the bundle: a node size is changed
//! in place only where the API can resize it; any other change of a bundle replaces the cluster.

use crate::framework::diagnostics::Diagnostics;
use crate::framework::plan::ChangeRequest;
use crate::framework::schema::Change;
use crate::framework::Value;

use super::equality::{same_bundle, string_map};
use super::options;
use super::resize::{classes, resizable_options, SIZE_OPTIONS};

fn primary_of(bundles: &Value) -> Option<String> {
    let first = bundles.elements()?.first()?;
    Some(first.get("bundle")?.as_str()?.to_ascii_uppercase())
}

/// `node_size`: in place for bundles whose nodes the API resizes by `node_size`.
pub fn node_size_change(req: &ChangeRequest, _: &mut Diagnostics) -> Change {
    let bundles = req.planned_resource.get("bundle").unwrap_or(&Value::Null);
    let opts = bundles
        .elements()
        .and_then(|b| b.first())
        .and_then(|b| b.get("options"))
        .and_then(string_map);
    match primary_of(bundles) {
        Some(p)
            if classes(&p, opts.as_ref())
                .iter()
                .any(|c| c.option.is_none()) =>
        {
            Change::InPlace
        }
        _ => Change::Fixed,
    }
}

/// `bundle`: in place when only the primary bundle's resizable size options changed (each
/// present before and after); a replacement otherwise.
pub fn bundle_change(req: &ChangeRequest, _: &mut Diagnostics) -> Change {
    let (Some(before), Some(after)) = (req.prior.elements(), req.planned.elements()) else {
        return Change::Replace;
    };
    if before.len() != after.len() || !req.planned.is_wholly_known() {
        return Change::Replace;
    }
    let Some(primary) = primary_of(req.planned) else {
        return Change::Replace;
    };
    let opts = |v: &Value| v.get("options").and_then(string_map);
    let (old, new) = (opts(&before[0]), opts(&after[0]));
    let resizable = resizable_options(&primary, new.as_ref());
    let rest_same = before
        .iter()
        .zip(after)
        .enumerate()
        .all(|(i, (a, b))| same_bundle(a, b, if i == 0 { SIZE_OPTIONS } else { &[] }));
    let sizes_ok = SIZE_OPTIONS.iter().all(|key| {
        match (
            options::get(old.as_ref(), key),
            options::get(new.as_ref(), key),
        ) {
            (a, b) if a == b => true,
            (Some(_), Some(_)) => resizable.contains(key),
            _ => false,
        }
    });
    if rest_same && sizes_ok {
        Change::InPlace
    } else {
        Change::Replace
    }
}

/// An official argument this resource does not implement: configuring it is rejected before
/// planning, so any change that reaches here is an error too.
pub fn unsupported_change(_: &ChangeRequest, _: &mut Diagnostics) -> Change {
    Change::Fixed
}
