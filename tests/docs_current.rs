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
//! `UPDATE_DOCS=1` in the environment the pages are rewritten instead. `docs/index.md` and
//! `docs/guides/*.md` are hand-written: checked for the registry front matter, for links that
//! lead nowhere, and (the guides) for a link from `docs/index.md`.

use std::path::{Path, PathBuf};

use clusterform::framework::docs;
use clusterform::framework::Provider;
use clusterform::vendors::cloudbasic::CloudBasicProvider;
use clusterform::vendors::css::CssProvider;
use clusterform::vendors::instaclustr::InstaclustrProvider;
use clusterform::vendors::redis::RedisProvider;

const UPDATE_HINT: &str = "run `UPDATE_DOCS=1 cargo test --test docs_current` and review the diff";

/// Every provider whose pages live in `docs/`, with the product its resource and data source
/// pages are grouped under (front matter `subcategory`; provider pages have none). A new vendor
/// adds one line here, a template per page in `docs/templates/`, and examples in `examples/`.
fn providers() -> Vec<(Box<dyn Provider>, &'static str)> {
    vec![
        (Box::new(InstaclustrProvider::new()), "Instaclustr"),
        (Box::new(CloudBasicProvider::new()), "CloudBasic"),
        (Box::new(CssProvider::new()), "Cloud Search Service"),
        (Box::new(RedisProvider::new()), "Redis Enterprise"),
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
    for (provider, subcategory) in providers() {
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
                text: docs::resource_doc(ty, subcategory, resource.schema(), &template(ty)),
            });
        }
        for data_source in provider.data_sources() {
            let ty = data_source.type_name();
            pages.push(Page {
                path: Path::new("docs/data-sources").join(format!("{ty}.md")),
                text: docs::data_source_doc(
                    ty,
                    subcategory,
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
    for (provider, _) in providers() {
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
    texts.extend(guides().into_iter().map(|g| (g.path, g.text)));
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

/// The hand-written guides, `docs/guides/*.md`, in name order.
fn guides() -> Vec<Page> {
    let dir = root().join("docs/guides");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = Path::new("docs/guides").join(name);
            let text = std::fs::read_to_string(root().join(&path)).unwrap();
            Page { path, text }
        })
        .collect()
}

/// The `key: value` pairs of a page's YAML front matter (`---` lines around it at the top);
/// a block scalar (`description: |-` and indented lines) is joined into one line. None when
/// the page has no front matter.
fn front_matter(text: &str) -> Option<Vec<(String, String)>> {
    let body = text.strip_prefix("---\n")?;
    let end = body.find("\n---\n")?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in body[..end].lines() {
        if let Some(continued) = line.strip_prefix("  ") {
            if let Some((_, value)) = pairs.last_mut() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(continued.trim());
            }
            continue;
        }
        let (key, value) = line.split_once(':')?;
        let value = value.trim();
        let value = if value == "|-" || value == "|" {
            String::new()
        } else {
            serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string())
        };
        pairs.push((key.trim().to_string(), value));
    }
    Some(pairs)
}

/// What is wrong with a page's front matter: `keys` must be present, each with the value given
/// (`None`: any non-empty value).
fn front_matter_problems(page: &Page, keys: &[(&str, Option<&str>)]) -> Vec<String> {
    let Some(pairs) = front_matter(&page.text) else {
        return vec![format!(
            "{}: no front matter (a `---` block with {})",
            page.path.display(),
            keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        )];
    };
    let mut problems = Vec::new();
    for (key, wanted) in keys {
        let value = pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        match (value, wanted) {
            (None, _) => problems.push(format!("{}: no `{key}`", page.path.display())),
            (Some(""), None) => problems.push(format!("{}: empty `{key}`", page.path.display())),
            (Some(v), Some(w)) if v != *w => problems.push(format!(
                "{}: `{key}` is {v:?}, want {w:?}",
                page.path.display()
            )),
            _ => {}
        }
    }
    problems
}

/// Every page carries the registry front matter: the generated ones `page_title`, `subcategory`
/// (the product; none on provider pages) and `description`; the overview `page_title` and
/// `description`; every guide the same with `subcategory: "Guides"`.
#[test]
fn every_page_has_front_matter() {
    let mut problems = Vec::new();
    for (provider, subcategory) in providers() {
        let provider_page =
            Path::new("docs/providers").join(format!("{}.md", provider.type_name()));
        for page in pages() {
            let owned = page.path == provider_page
                || provider.resources().iter().any(|r| {
                    page.path == Path::new("docs/resources").join(format!("{}.md", r.type_name()))
                })
                || provider.data_sources().iter().any(|d| {
                    page.path
                        == Path::new("docs/data-sources").join(format!("{}.md", d.type_name()))
                });
            if !owned {
                continue;
            }
            let group = if page.path == provider_page {
                ""
            } else {
                subcategory
            };
            problems.extend(front_matter_problems(
                &page,
                &[
                    ("page_title", None),
                    ("subcategory", Some(group)),
                    ("description", None),
                ],
            ));
        }
    }
    let index = Page {
        path: PathBuf::from("docs/index.md"),
        text: std::fs::read_to_string(root().join("docs/index.md")).expect("docs/index.md"),
    };
    problems.extend(front_matter_problems(
        &index,
        &[("page_title", None), ("description", None)],
    ));
    for guide in guides() {
        problems.extend(front_matter_problems(
            &guide,
            &[
                ("page_title", None),
                ("subcategory", Some("Guides")),
                ("description", None),
            ],
        ));
    }
    assert!(
        problems.is_empty(),
        "front matter:\n  {}",
        problems.join("\n  ")
    );
}

/// A guide nobody links to is a guide nobody finds: `docs/index.md` links every one.
#[test]
fn every_guide_is_linked_from_the_index() {
    let index = std::fs::read_to_string(root().join("docs/index.md")).expect("docs/index.md");
    let linked: Vec<PathBuf> = markdown_links(&index)
        .into_iter()
        .map(|t| normalize(&Path::new("docs").join(t.split('#').next().unwrap())))
        .collect();
    let unlinked: Vec<String> = guides()
        .into_iter()
        .filter(|g| !linked.contains(&g.path))
        .map(|g| g.path.display().to_string())
        .collect();
    assert!(
        unlinked.is_empty(),
        "guides not linked from docs/index.md (add them to its \"Guides\" section): {unlinked:?}"
    );
}
