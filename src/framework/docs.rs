//! Registry-style Markdown documentation rendered from schemas.
//!
//! The generated part of a page (arguments, read-only attributes, nested blocks, the `timeouts`
//! block) comes from the same [`Schema`] Terraform receives, so it cannot drift from the
//! provider's behaviour. Hand-written prose (example usage, import, behaviour notes) lives in a
//! template that is passed in as `extra`:
//!
//! - `{{schema}}` on a line of its own marks where the generated reference goes; text before it
//!   follows the page's description, text after it follows the reference. Without the marker
//!   the whole template follows the reference.
//! - `{{include "path"}}` on a line of its own is replaced by that file's text (see
//!   [`expand_includes`]), so example configurations are written once, in `examples/`, and the
//!   page shows exactly what `terraform validate` checked.
//!
//! Output is deterministic: attributes and blocks appear in name order (`id` first among the
//! read-only attributes), and nothing depends on time or environment.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::schema::{
    Attribute, Block, Change, NestedBlock, Nesting, OnChange, Schema, TIMEOUTS_BLOCK,
};
use super::{Type, Value};

/// Marker in a template for the position of the generated reference.
pub const SCHEMA_MARKER: &str = "{{schema}}";

/// The comment put at the top of every generated page (after the front matter).
pub const GENERATED_NOTE: &str = "<!-- Generated from the provider schema and docs/templates/. \
Do not edit by hand: change the schema or the template, then run \
`UPDATE_DOCS=1 cargo test --test docs_current`. -->";

/// The page for `provider "<name>"`: title, description, the hand-written `extra` (example
/// provider block, environment variables) and the provider block's arguments.
///
/// `description` overrides the schema's own description when not empty. The page has no
/// subcategory: it is the provider's index, which the registry does not group.
pub fn provider_doc(name: &str, description: &str, schema: &Schema, extra: &str) -> String {
    let description = if description.trim().is_empty() {
        schema.block.description.as_str()
    } else {
        description
    };
    let mut out = String::new();
    front_matter(&mut out, &format!("{name} Provider"), "", description);
    let _ = writeln!(out, "# {name} Provider\n");
    paragraph(&mut out, description);
    let reference = reference(schema);
    splice(&mut out, extra, &reference);
    finish(out)
}

/// The page for one resource type: title, description, the hand-written `extra` and the
/// generated reference of its schema. `subcategory` is the heading the registry lists the page
/// under (the product's name, e.g. "Cloud Search Service").
pub fn resource_doc(type_name: &str, subcategory: &str, schema: &Schema, extra: &str) -> String {
    type_doc(type_name, "Resource", subcategory, schema, extra)
}

/// The page for one data source: as [`resource_doc`], titled as a data source.
pub fn data_source_doc(type_name: &str, subcategory: &str, schema: &Schema, extra: &str) -> String {
    type_doc(type_name, "Data Source", subcategory, schema, extra)
}

fn type_doc(
    type_name: &str,
    kind: &str,
    subcategory: &str,
    schema: &Schema,
    extra: &str,
) -> String {
    let description = schema.block.description.as_str();
    let mut out = String::new();
    let title = format!("{type_name} {kind}");
    front_matter(&mut out, &title, subcategory, description);
    let _ = writeln!(out, "# {type_name} ({kind})\n");
    paragraph(&mut out, description);
    let reference = reference(schema);
    splice(&mut out, extra, &reference);
    finish(out)
}

/// Replaces every line `{{include "relative/path"}}` with the text of that file, read relative
/// to `root`, without its trailing newlines. Errors name the template line and the file.
pub fn expand_includes(template: &str, root: &Path) -> Result<String, String> {
    let mut out = String::new();
    for (n, line) in template.lines().enumerate() {
        match include_target(line) {
            Some(Ok(rel)) => {
                let path = root.join(rel);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!("line {}: cannot include {}: {e}", n + 1, path.display())
                })?;
                out.push_str(text.trim_end_matches(['\n', '\r']));
                out.push('\n');
            }
            Some(Err(())) => {
                return Err(format!(
                    "line {}: malformed include, expected {{{{include \"path\"}}}}: {line}",
                    n + 1
                ))
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// `Some(Ok(path))` for a well-formed include line, `Some(Err)` for a line that starts like one
/// but is not, `None` for any other line.
fn include_target(line: &str) -> Option<Result<&str, ()>> {
    let body = line
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")
        .map(str::trim);
    let body = match body {
        Some(b) => b,
        None => return line.trim().starts_with("{{include").then_some(Err(())),
    };
    let rest = body.strip_prefix("include")?;
    let path = rest
        .trim()
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'));
    Some(path.filter(|p| !p.is_empty() && !p.contains('"')).ok_or(()))
}

// ---------------------------------------------------------------------------------------------
// Page frame
// ---------------------------------------------------------------------------------------------

/// The registry's front matter: `page_title`, `subcategory` (navigation group; empty for none),
/// and a one-sentence `description` for listings and search.
fn front_matter(out: &mut String, title: &str, subcategory: &str, description: &str) {
    out.push_str("---\n");
    let _ = writeln!(out, "page_title: {}", yaml_string(title));
    let _ = writeln!(out, "subcategory: {}", yaml_string(subcategory));
    out.push_str("description: |-\n");
    let first = first_sentence(description);
    if first.is_empty() {
        out.push_str("  \n");
    }
    for line in first.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out.push_str(GENERATED_NOTE);
    out.push_str("\n\n");
}

fn yaml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The registry shows the front matter description in listings: keep it to one sentence.
fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

fn paragraph(out: &mut String, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.push_str(text);
        out.push_str("\n\n");
    }
}

/// Puts the template around the generated reference at the `{{schema}}` marker.
fn splice(out: &mut String, extra: &str, reference: &str) {
    let (before, after) = split_at_marker(extra);
    paragraph(out, before);
    out.push_str(reference);
    out.push('\n');
    paragraph(out, after);
}

fn split_at_marker(extra: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in extra.split_inclusive('\n') {
        if line.trim() == SCHEMA_MARKER {
            return (&extra[..offset], &extra[offset + line.len()..]);
        }
        offset += line.len();
    }
    ("", extra)
}

/// One trailing newline, no runs of blank lines (templates and schema text may leave them).
fn finish(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    let mut in_fence = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if line.is_empty() && !in_fence {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The generated reference
// ---------------------------------------------------------------------------------------------

/// A nested section still to be written: anchor, title path and what it documents.
enum Pending<'a> {
    Block {
        path: String,
        nested: &'a NestedBlock,
    },
    Object {
        path: String,
        ty: &'a Type,
        description: &'a str,
    },
}

fn reference(schema: &Schema) -> String {
    let mut out = String::new();
    let mut pending = Vec::new();
    let block = &schema.block;

    out.push_str("## Argument Reference\n\n");
    let required = arguments(block, true);
    let optional = arguments(block, false);
    if required.is_empty() && optional.is_empty() {
        out.push_str("This block has no arguments.\n\n");
    }
    member_list(
        &mut out,
        "### Required",
        &required,
        "",
        schema,
        &mut pending,
    );
    member_list(
        &mut out,
        "### Optional",
        &optional,
        "",
        schema,
        &mut pending,
    );

    let read_only = read_only(block);
    if !read_only.is_empty() {
        out.push_str("## Attribute Reference\n\n");
        out.push_str("In addition to the arguments above, these attributes are exported:\n\n");
        for m in &read_only {
            member_line(&mut out, m, "", schema, &mut pending);
        }
        out.push('\n');
    }

    // Nested sections, breadth first, in the order they were referenced.
    let mut i = 0;
    while i < pending.len() {
        let mut more = Vec::new();
        match &pending[i] {
            Pending::Block { path, nested } => {
                nested_block_section(&mut out, path, nested, schema, &mut more)
            }
            Pending::Object {
                path,
                ty,
                description,
            } => object_section(&mut out, path, ty, description, &mut more),
        }
        pending.extend(more);
        i += 1;
    }

    if let Some(t) = &schema.timeouts {
        if block.blocks.contains_key(TIMEOUTS_BLOCK) {
            timeouts_section(&mut out, t);
        }
    }
    out
}

/// An attribute or nested block as it appears in a list.
enum Member<'a> {
    Attr(&'a str, &'a Attribute),
    Block(&'a str, &'a NestedBlock),
}

impl Member<'_> {
    fn name(&self) -> &str {
        match self {
            Member::Attr(n, _) | Member::Block(n, _) => n,
        }
    }
}

/// Arguments of a block: required ones, or optional ones (including optional + computed).
fn arguments(block: &Block, required: bool) -> Vec<Member<'_>> {
    let mut members: Vec<Member> = block
        .attributes
        .iter()
        .filter(|(_, a)| {
            if required {
                a.required
            } else {
                a.optional && !a.required
            }
        })
        .map(|(n, a)| Member::Attr(n, a))
        .chain(
            block
                .blocks
                .iter()
                .filter(|(_, b)| (b.min_items > 0) == required)
                .map(|(n, b)| Member::Block(n, b)),
        )
        .collect();
    members.sort_by(|a, b| a.name().cmp(b.name()));
    members
}

/// Attributes set only by the provider, `id` first.
fn read_only(block: &Block) -> Vec<Member<'_>> {
    let mut members: Vec<Member> = block
        .attributes
        .iter()
        .filter(|(_, a)| a.computed && !a.optional && !a.required)
        .map(|(n, a)| Member::Attr(n, a))
        .collect();
    members.sort_by_key(|m| (m.name() != "id", m.name().to_string()));
    members
}

fn member_list<'a>(
    out: &mut String,
    heading: &str,
    members: &[Member<'a>],
    prefix: &str,
    schema: &Schema,
    pending: &mut Vec<Pending<'a>>,
) {
    if members.is_empty() {
        return;
    }
    out.push_str(heading);
    out.push_str("\n\n");
    for m in members {
        member_line(out, m, prefix, schema, pending);
    }
    out.push('\n');
}

fn member_line<'a>(
    out: &mut String,
    m: &Member<'a>,
    prefix: &str,
    schema: &Schema,
    pending: &mut Vec<Pending<'a>>,
) {
    match m {
        Member::Attr(name, a) => attribute_line(out, name, a, prefix, pending),
        Member::Block(name, b) => block_line(out, name, b, prefix, schema, pending),
    }
}

fn attribute_line<'a>(
    out: &mut String,
    name: &str,
    a: &'a Attribute,
    prefix: &str,
    pending: &mut Vec<Pending<'a>>,
) {
    let path = join_path(prefix, name);
    let mut tags = vec![type_label(&a.ty)];
    if a.sensitive {
        tags.push("Sensitive".to_string());
    }
    if a.deprecated {
        tags.push("Deprecated".to_string());
    }
    if a.write_only {
        tags.push("Write-only".to_string());
    }
    let mut text = sentence(&a.description);
    let is_argument = a.required || a.optional;
    if a.write_only {
        push_sentence(
            &mut text,
            "Write-only: never stored in the plan or the state; needs Terraform 1.11 or later.",
        );
        if let Some(plain) = &a.plain_twin {
            push_sentence(
                &mut text,
                &format!("With an older Terraform, use `{plain}` instead."),
            );
        }
    }
    if let Some(secret) = &a.version_of {
        push_sentence(
            &mut text,
            &format!("A change of this value sends `{secret}` again."),
        );
    }
    if is_argument {
        if let Some(d) = &a.default {
            push_sentence(&mut text, &format!("Defaults to `{}`.", literal(d)));
        } else if a.optional && a.computed {
            push_sentence(&mut text, "When not set, the provider fills in the value.");
        }
        if let Some(change) = &a.change {
            push_sentence(&mut text, &change.doc());
        }
        if let Some(why) = a.removal_error {
            push_sentence(
                &mut text,
                &format!("Removing it once set is an error at plan time: {why}"),
            );
        }
    }
    if let Some(ty) = object_inside(&a.ty) {
        push_sentence(
            &mut text,
            &format!("See [{path}](#{}) below.", anchor(&path)),
        );
        pending.push(Pending::Object {
            path: path.clone(),
            ty,
            description: &a.description,
        });
    }
    bullet(out, name, &tags.join(", "), &text);
}

fn block_line<'a>(
    out: &mut String,
    name: &str,
    b: &'a NestedBlock,
    prefix: &str,
    schema: &Schema,
    pending: &mut Vec<Pending<'a>>,
) {
    let path = join_path(prefix, name);
    let mut text = sentence(&b.block.description);
    if let Some(change) = &b.change {
        push_sentence(&mut text, &block_change_doc(change));
    }
    let timeouts = prefix.is_empty() && name == TIMEOUTS_BLOCK && schema.timeouts.is_some();
    if timeouts {
        push_sentence(&mut text, "See [Timeouts](#timeouts) below.");
    } else {
        push_sentence(
            &mut text,
            &format!("See [{path}](#{}) below.", anchor(&path)),
        );
        pending.push(Pending::Block {
            path: path.clone(),
            nested: b,
        });
    }
    bullet(out, name, &block_label(b), &text);
}

/// A block declares one behaviour for everything inside it.
fn block_change_doc(change: &OnChange) -> String {
    match change {
        OnChange::Always(Change::Replace) => {
            "Adding, changing or removing this block forces a new resource.".into()
        }
        OnChange::Always(Change::InPlace) => {
            "Adding, changing or removing this block is applied in place (the update calls the API).".into()
        }
        OnChange::Always(Change::StateOnly) => {
            "Changing this block only updates Terraform state; no API is called (the plan warns).".into()
        }
        OnChange::Always(Change::Fixed) => {
            "Cannot be changed once applied: a change is an error at plan time.".into()
        }
        OnChange::Rule { doc, .. } => doc.to_string(),
    }
}

fn bullet(out: &mut String, name: &str, tags: &str, text: &str) {
    let _ = write!(out, "- `{name}` ({tags})");
    if !text.is_empty() {
        out.push(' ');
        out.push_str(text);
    }
    out.push('\n');
}

fn nested_block_section<'a>(
    out: &mut String,
    path: &str,
    nested: &'a NestedBlock,
    schema: &Schema,
    pending: &mut Vec<Pending<'a>>,
) {
    let _ = writeln!(out, "<a id=\"{}\"></a>", anchor(path));
    let _ = writeln!(out, "### Nested block `{path}`\n");
    let block = &nested.block;
    let mut intro = sentence(&block.description);
    push_sentence(&mut intro, &block_cardinality(nested));
    paragraph(out, &intro);
    let required = arguments(block, true);
    let optional = arguments(block, false);
    member_list(out, "Required:", &required, path, schema, pending);
    member_list(out, "Optional:", &optional, path, schema, pending);
    let read_only = read_only(block);
    member_list(out, "Read-only:", &read_only, path, schema, pending);
}

fn object_section<'a>(
    out: &mut String,
    path: &str,
    ty: &'a Type,
    description: &str,
    pending: &mut Vec<Pending<'a>>,
) {
    let _ = writeln!(out, "<a id=\"{}\"></a>", anchor(path));
    let _ = writeln!(out, "### Nested attribute `{path}`\n");
    paragraph(out, &sentence(description));
    let Type::Object(fields) = ty else { return };
    out.push_str("Each element has these read-only attributes:\n\n");
    for (name, field_ty) in fields {
        let field_path = join_path(path, name);
        let mut text = String::new();
        if let Some(inner) = object_inside(field_ty) {
            text = format!("See [{field_path}](#{}) below.", anchor(&field_path));
            pending.push(Pending::Object {
                path: field_path,
                ty: inner,
                description: "",
            });
        }
        bullet(out, name, &type_label(field_ty), &text);
    }
    out.push('\n');
}

fn timeouts_section(out: &mut String, t: &super::schema::Timeouts) {
    out.push_str("## Timeouts\n\n");
    out.push_str(
        "The optional `timeouts` block sets how long an operation may run before Terraform gives up \
         waiting, as a duration string such as `\"30m\"`, `\"1h30m\"` or `\"90s\"`:\n\n",
    );
    let ops = [
        ("create", t.create),
        ("read", t.read),
        ("update", t.update),
        ("delete", t.delete),
    ];
    for (op, d) in ops {
        if let Some(d) = d {
            let _ = writeln!(out, "- `{op}` (default `{}`)", duration_text(d));
        }
    }
    out.push('\n');
}

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A lowercase HTML anchor: letters, digits and `-`.
fn anchor(path: &str) -> String {
    let mut a = String::from("nested-");
    a.extend(path.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        }
    }));
    a
}

/// The object type documented in its own section: an object, or a collection of objects.
fn object_inside(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Object(_) => Some(ty),
        Type::List(t) | Type::Set(t) | Type::Map(t) => object_inside(t),
        _ => None,
    }
}

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_label(t)),
        Type::Set(t) => format!("Set of {}", type_label(t)),
        Type::Map(t) => format!("Map of {}", type_label(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn block_label(b: &NestedBlock) -> String {
    let base = match b.nesting {
        Nesting::Single => "Block",
        Nesting::List => "Block List",
        Nesting::Set => "Block Set",
        Nesting::Map => "Block Map",
    };
    let mut parts = vec![base.to_string()];
    if b.nesting != Nesting::Single {
        if b.min_items > 0 {
            parts.push(format!("Min: {}", b.min_items));
        }
        if b.max_items > 0 {
            parts.push(format!("Max: {}", b.max_items));
        }
    }
    parts.join(", ")
}

fn block_cardinality(b: &NestedBlock) -> String {
    match b.nesting {
        Nesting::Single if b.min_items > 0 => "Exactly one such block is required.".into(),
        Nesting::Single => "At most one such block may be given.".into(),
        _ => match (b.min_items, b.max_items) {
            (0, 0) => "Any number of such blocks may be given.".into(),
            (min, 0) => format!("At least {min} such block{} must be given.", plural(min)),
            (0, max) => format!("At most {max} such block{} may be given.", plural(max)),
            (min, max) if min == max => {
                format!("Exactly {min} such block{} must be given.", plural(min))
            }
            (min, max) => format!("Between {min} and {max} such blocks must be given."),
        },
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The description as a sentence: trimmed, ending with punctuation.
fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?', ':', ')', '`']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn push_sentence(text: &mut String, more: &str) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(more);
}

/// A value as it would be written in HCL.
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            format!(
                "[{}]",
                items.iter().map(literal).collect::<Vec<_>>().join(", ")
            )
        }
        Value::Map(entries) | Value::Object(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{} = {}", serde_json::Value::String(k.clone()), literal(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Dynamic { value, .. } => literal(value),
    }
}

/// Durations as Terraform users write them: `60m`, `90s`, `1h30m` only when not whole minutes
/// would be awkward; whole minutes are kept in minutes, as the spec states the defaults.
fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{boolean, list_of, map_of, number, string, Declare, Timeouts};
    use super::*;

    fn sample() -> Schema {
        Schema::new("A thing. It has parts.")
            .attr("id", string().computed().describe("The id"))
            .attr(
                "name",
                string().required().replace().describe("Name of the thing."),
            )
            .attr("size", number().default(3).describe("How big"))
            .attr("zone", string().optional().computed())
            .attr("secret", string().optional().sensitive())
            .attr("flag", boolean().default(false))
            .attr("labels", map_of(Type::String).optional())
            .attr(
                "members",
                list_of(Type::object([
                    ("host", Type::String),
                    ("port", Type::Number),
                ]))
                .computed(),
            )
            .block(
                "part",
                NestedBlock::list(Block::new("A part").attr("kind", string().required()))
                    .min(1)
                    .replace(),
            )
            .block(
                "extra",
                NestedBlock::single(Block::new("").attr("note", string().optional())),
            )
            .timeouts(Timeouts {
                create: Some(Duration::from_secs(3600)),
                delete: Some(Duration::from_secs(90)),
                ..Timeouts::default()
            })
    }

    #[test]
    fn resource_page_lists_everything_in_its_place() {
        let doc = resource_doc(
            "x_thing",
            "X Cloud",
            &sample(),
            "## Example Usage\n\nhere\n\n{{schema}}\n\n## Import\n\nthere\n",
        );
        assert!(
            doc.starts_with("---\npage_title: \"x_thing Resource\"\nsubcategory: \"X Cloud\"\n"),
            "{doc}"
        );
        assert!(doc.contains("description: |-\n  A thing.\n---"), "{doc}");
        assert!(doc.contains(
            "- `name` (String) Name of the thing. Changing this forces a new resource.\n"
        ));
        assert!(doc.contains("- `size` (Number) How big. Defaults to `3`.\n"));
        assert!(doc.contains("- `flag` (Boolean) Defaults to `false`.\n"));
        assert!(doc.contains("- `zone` (String) When not set, the provider fills in the value.\n"));
        assert!(doc.contains("- `secret` (String, Sensitive)\n"));
        assert!(doc.contains(
            "- `part` (Block List, Min: 1) A part. Adding, changing or removing this block forces a new resource."
        ));
        assert!(doc.contains("- `timeouts` (Block) How long"));
        assert!(doc.contains("- `create` (default `60m`)\n- `delete` (default `90s`)\n"));
        assert!(doc.contains("### Nested block `part`"));
        assert!(doc.contains("### Nested attribute `members`"));
        assert!(doc.contains("- `port` (Number)\n"));
        assert!(!doc.contains("### Nested block `timeouts`"));
        // Order: example, required, optional, read-only, nested, timeouts, import.
        let at = |s: &str| {
            doc.find(s)
                .unwrap_or_else(|| panic!("{s} missing in\n{doc}"))
        };
        assert!(at("## Example Usage") < at("### Required"));
        assert!(at("### Required") < at("### Optional"));
        assert!(at("### Optional") < at("## Attribute Reference"));
        assert!(at("- `id` (String)") < at("- `members`"));
        assert!(at("## Attribute Reference") < at("### Nested block"));
        assert!(at("### Nested attribute") < at("## Timeouts"));
        assert!(at("## Timeouts") < at("## Import"));
        assert!(!doc.contains("\n\n\n"));
        assert!(doc.ends_with("there\n"));
        assert_eq!(
            doc,
            resource_doc(
                "x_thing",
                "X Cloud",
                &sample(),
                "## Example Usage\n\nhere\n\n{{schema}}\n\n## Import\n\nthere\n"
            )
        );
    }

    #[test]
    fn write_only_arguments_say_so_and_name_their_twin_and_version() {
        let schema = Schema::new("t")
            .attr("key", string().optional().sensitive().in_place())
            .attr(
                "key_wo",
                string()
                    .optional()
                    .sensitive()
                    .write_only_twin_of("key")
                    .describe("The key"),
            )
            .attr("key_wo_version", number().optional().version_of("key_wo"));
        let doc = resource_doc("x_thing", "", &schema, "");
        assert!(
            doc.contains(
                "- `key_wo` (String, Sensitive, Write-only) The key. Write-only: never stored in \
                 the plan or the state; needs Terraform 1.11 or later. With an older Terraform, \
                 use `key` instead.\n"
            ),
            "{doc}"
        );
        assert!(
            doc.contains(
                "- `key_wo_version` (Number) A change of this value sends `key_wo` again. \
                 Changed in place"
            ),
            "{doc}"
        );
    }

    #[test]
    fn data_source_page_is_titled_and_grouped() {
        let doc = data_source_doc("x_thing", "X Cloud", &sample(), "");
        assert!(
            doc.starts_with("---\npage_title: \"x_thing Data Source\"\nsubcategory: \"X Cloud\"\n"),
            "{doc}"
        );
        assert!(doc.contains("# x_thing (Data Source)\n"));
    }

    #[test]
    fn template_without_marker_follows_the_reference() {
        let doc = resource_doc("x_thing", "", &sample(), "## Notes\n\ntext\n");
        assert!(doc.find("## Argument Reference").unwrap() < doc.find("## Notes").unwrap());
    }

    #[test]
    fn provider_page_uses_the_given_description() {
        let schema = Schema::new("schema text")
            .attr("token", string().optional().sensitive().describe("Token"));
        let doc = provider_doc("x", "Talks to X.", &schema, "{{schema}}\n");
        assert!(doc.contains("# x Provider\n\nTalks to X.\n"));
        assert!(doc.contains("\nsubcategory: \"\"\n"), "{doc}");
        assert!(doc.contains("- `token` (String, Sensitive) Token.\n"));
        assert!(!doc.contains("## Attribute Reference"));
    }

    #[test]
    fn includes_are_expanded_and_checked() {
        let dir = std::env::temp_dir().join(format!("cf-docs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ex")).unwrap();
        std::fs::write(dir.join("ex/a.tf"), "a = 1\n\n").unwrap();
        let out = expand_includes("```hcl\n{{include \"ex/a.tf\"}}\n```\n", &dir).unwrap();
        assert_eq!(out, "```hcl\na = 1\n```\n");
        assert!(expand_includes("{{include \"ex/missing.tf\"}}\n", &dir)
            .unwrap_err()
            .contains("line 1"));
        assert!(expand_includes("{{include ex/a.tf}}\n", &dir).is_err());
        assert_eq!(
            expand_includes("{{schema}}\n", &dir).unwrap(),
            "{{schema}}\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
