//! Keeps `docs/` in step with the schemas.
//!
//! For every provider listed in [`providers`] this renders
//! - `docs/providers/<provider>.md` from the provider schema and `docs/templates/provider_<provider>.md`,
//! - `docs/resources/<type>.md` from each resource schema and `docs/templates/<type>.md`,
//! - `docs/data-sources/<type>.md` from each data source schema and
//!   `docs/templates/data_<type>.md`,
//!
//! with `{{include "..."}}` lines in the templates replaced by the files under `examples/`, and
//! compares the result with the committed pages. A difference fails the test; with
//! `UPDATE_DOCS=1` in the environment the pages are rewritten instead. `docs/index.md` is
//! hand-written and only checked for links that lead nowhere.

use std::path::{Path, PathBuf};

use clusterform::framework::docs;
use clusterform::framework::Provider;
use clusterform::vendors::cloudbasic::CloudBasicProvider;
use clusterform::vendors::css::CssProvider;
use clusterform::vendors::instaclustr::InstaclustrProvider;
use clusterform::vendors::redis::RedisProvider;

const UPDATE_HINT: &str = "run `UPDATE_DOCS=1 cargo test --test docs_current` and review the diff";

/// Every provider whose pages live in `docs/`. A new vendor adds one line here, a template per
/// page in `docs/templates/`, and examples in `examples/`.
fn providers() -> Vec<Box<dyn Provider>> {
    vec![
        Box::new(InstaclustrProvider::new()),
        Box::new(CloudBasicProvider::new()),
        Box::new(CssProvider::new()),
        Box::new(RedisProvider::new()),
    ]
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Page {
    /// Relative to the repository root.
    path: PathBuf,
    text: String,
}

fn template(name: &str) -> String {
    let rel = Path::new("docs/templates").join(format!("{name}.md"));
    let text = std::fs::read_to_string(root().join(&rel)).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nEvery generated page needs a template with its hand-written parts \
             (example usage, import, behaviour); put `{{{{schema}}}}` where the reference goes.",
            rel.display()
        )
    });
    docs::expand_includes(&text, &root()).unwrap_or_else(|e| panic!("{}: {e}", rel.display()))
}

fn pages() -> Vec<Page> {
    let mut pages = Vec::new();
    for provider in providers() {
        let name = provider.type_name();
        pages.push(Page {
            path: Path::new("docs/providers").join(format!("{name}.md")),
            text: docs::provider_doc(
                name,
                "",
                &provider.schema(),
                &template(&format!("provider_{name}")),
            ),
        });
        for resource in provider.resources() {
            let ty = resource.type_name();
            pages.push(Page {
                path: Path::new("docs/resources").join(format!("{ty}.md")),
                text: docs::resource_doc(ty, resource.schema(), &template(ty)),
            });
        }
        for data_source in provider.data_sources() {
            let ty = data_source.type_name();
            pages.push(Page {
                path: Path::new("docs/data-sources").join(format!("{ty}.md")),
                text: docs::data_source_doc(
                    ty,
                    data_source.schema(),
                    &template(&format!("data_{ty}")),
                ),
            });
        }
    }
    pages
}

/// Where two texts first part ways, for the failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut n = 1;
    loop {
        match (e.next(), a.next()) {
            (None, None) => return "only line endings differ".to_string(),
            (x, y) if x == y => n += 1,
            (x, y) => {
                return format!(
                    "line {n}:\n    generated: {}\n    on disk:   {}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                )
            }
        }
    }
}

#[test]
fn generated_docs_are_current() {
    let update = std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for page in pages() {
        let path = root().join(&page.path);
        let on_disk = std::fs::read_to_string(&path).ok();
        if on_disk.as_deref() == Some(page.text.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &page.text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("rewrote {}", page.path.display());
        } else {
            let why = match &on_disk {
                None => "missing".to_string(),
                Some(text) => first_difference(&page.text, text),
            };
            stale.push(format!("{}: {why}", page.path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/ is out of date with the schemas or templates:\n  {}\nTo regenerate, {UPDATE_HINT}.",
        stale.join("\n  ")
    );
}

/// A page in `docs/providers`, `docs/resources` or `docs/data-sources` that nothing generates would silently rot.
#[test]
fn no_orphan_pages() {
    let expected: Vec<PathBuf> = pages().into_iter().map(|p| p.path).collect();
    let mut orphans = Vec::new();
    for dir in ["docs/providers", "docs/resources", "docs/data-sources"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries {
            let rel = Path::new(dir).join(entry.unwrap().file_name());
            if !expected.contains(&rel) {
                orphans.push(rel.display().to_string());
            }
        }
    }
    orphans.sort();
    assert!(
        orphans.is_empty(),
        "pages that no schema generates: {orphans:?}; delete them, or add their provider to \
         `providers()` in tests/docs_current.rs"
    );
}

/// The registry layout: every provider and resource has its examples.
#[test]
fn examples_exist_for_every_page() {
    let mut missing = Vec::new();
    for provider in providers() {
        let name = provider.type_name();
        let mut wanted = vec![format!("examples/provider/{name}/provider.tf")];
        for r in provider.resources() {
            let ty = r.type_name();
            wanted.push(format!("examples/resources/{ty}/resource.tf"));
            wanted.push(format!("examples/resources/{ty}/import.sh"));
        }
        for d in provider.data_sources() {
            let ty = d.type_name();
            wanted.push(format!("examples/data-sources/{ty}/data-source.tf"));
        }
        missing.extend(wanted.into_iter().filter(|p| !root().join(p).is_file()));
    }
    assert!(missing.is_empty(), "missing examples: {missing:?}");
}

/// Relative links in the hand-written overview and the generated pages lead to files (or to
/// pages this test generates, which may not be written yet).
#[test]
fn relative_links_resolve() {
    let generated = pages();
    let mut texts = vec![(
        PathBuf::from("docs/index.md"),
        std::fs::read_to_string(root().join("docs/index.md")).expect("docs/index.md"),
    )];
    texts.extend(generated.iter().map(|p| (p.path.clone(), p.text.clone())));
    let mut broken = Vec::new();
    for (rel, text) in &texts {
        let dir = rel.parent().unwrap();
        for target in markdown_links(text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = normalize(&dir.join(target.split('#').next().unwrap()));
            if !root().join(&file).exists() && !generated.iter().any(|p| p.path == file) {
                broken.push(format!("{}: {target}", rel.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nowhere: {broken:?}");
}

/// `a/b/../c` as `a/c`, so a link can be compared with a generated page's path.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Targets of `[text](target)` links, outside code fences.
fn markdown_links(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            match after.find(')') {
                Some(j) => {
                    out.push(&after[..j]);
                    rest = &after[j + 1..];
                }
                None => break,
            }
        }
    }
    out
}
