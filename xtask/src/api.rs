//! `cargo xtask api [--check]`: the listing of each library crate's public items, from
//! rustdoc's JSON output, written to `api/<crate>.txt` (or compared with it). One line per
//! item: modules, types with their public fields and variants, inherent methods, trait
//! implementations written in the crate, trait items, functions, constants and re-exports.
//! `#[doc(hidden)]` items are left out, as rustdoc leaves them out.
//!
//! The JSON format is unstable; the stable toolchain emits it with `RUSTC_BOOTSTRAP=1`, and the
//! listing reads only the parts that have kept their shape across format versions.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use crate::util;

/// The library crates, with the features that show their whole surface.
const CRATES: &[(&str, &str)] = &[
    ("keyward-format", ""),
    ("keyward-materials", "testing"),
    ("keyward-cache", ""),
    ("keyward-kms", ""),
    ("keyward-hierarchy", "testing"),
    ("keyward", "testing"),
];

pub(crate) fn run(args: &[String]) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask api [--check]"),
    };
    let dir = util::root().join("api");
    std::fs::create_dir_all(&dir)?;
    let mut stale = Vec::new();
    for &(krate, features) in CRATES {
        let listing = listing(krate, features)?;
        let path = dir.join(format!("{krate}.txt"));
        if check {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != listing {
                stale.push(diff(&committed, &listing, &path));
            }
        } else {
            std::fs::write(&path, listing)?;
            eprintln!("xtask: wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!(
            "the public API differs from its listing (run `cargo xtask api` and commit \
             api/):\n{}",
            stale.join("\n")
        );
    }
    if check {
        eprintln!("xtask api: every listing matches");
    }
    Ok(())
}

/// The lines only in one of the two listings.
fn diff(committed: &str, current: &str, path: &std::path::Path) -> String {
    let old: BTreeSet<&str> = committed.lines().collect();
    let new: BTreeSet<&str> = current.lines().collect();
    let mut out = format!("{}:", path.display());
    for line in old.difference(&new) {
        let _ = write!(out, "\n  - {line}");
    }
    for line in new.difference(&old) {
        let _ = write!(out, "\n  + {line}");
    }
    out
}

fn listing(krate: &str, features: &str) -> Result<String> {
    let mut command = util::cargo();
    command.env("RUSTC_BOOTSTRAP", "1").args([
        "rustdoc",
        "--quiet",
        "--locked",
        "--lib",
        "--package",
        krate,
    ]);
    if !features.is_empty() {
        command.args(["--features", features]);
    }
    command.args(["--", "-Z", "unstable-options", "--output-format", "json"]);
    util::run(&mut command)?;
    let path = json_path(krate);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)?;
    set_names(&doc);
    let mut lines = Listing::default();
    let crate_doc = Doc { doc: &doc };
    let root = crate_doc.item(&doc["root"]).context("no root module")?;
    let name = root["name"].as_str().unwrap_or(krate).to_owned();
    crate_doc.module(root, &name, &mut lines);
    let mut out = String::new();
    for (_, _, line) in lines.0 {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The lines, ordered by the item they describe: its own line, then its fields or variants,
/// then the traits it implements, then its members.
#[derive(Default)]
struct Listing(BTreeSet<(String, u8, String)>);

impl Listing {
    fn add(&mut self, path: &str, rank: u8, line: String) {
        self.0.insert((path.to_owned(), rank, line));
    }
}

fn json_path(krate: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| util::root().join("target"), PathBuf::from);
    target
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")))
}

struct Doc<'a> {
    doc: &'a Value,
}

impl<'a> Doc<'a> {
    /// The item of an id, if it is in this crate's index.
    fn item(&self, id: &Value) -> Option<&'a Value> {
        let key = match id {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return None,
        };
        self.doc["index"].get(&key)
    }

    fn module(&self, module: &Value, path: &str, out: &mut Listing) {
        let Some(items) = module["inner"]["module"]["items"].as_array() else {
            return;
        };
        for id in items {
            let Some(item) = self.item(id) else { continue };
            if !is_public(item) {
                continue;
            }
            let inner = &item["inner"];
            if let Some(use_) = inner.get("use") {
                let source = use_["source"].as_str().unwrap_or("?");
                let name = use_["name"].as_str().unwrap_or("?");
                let target = self.item(&use_["id"]);
                if use_["is_glob"].as_bool() == Some(true) {
                    match target {
                        Some(module) if module["inner"].get("module").is_some() => {
                            self.module(module, path, out);
                        }
                        _ => {
                            out.add(path, 0, format!("pub use {path}::{{{source}::*}}"));
                        }
                    }
                    continue;
                }
                match target {
                    Some(target) if target["crate_id"] == 0 => {
                        self.item_lines(target, &format!("{path}::{name}"), out);
                    }
                    _ => {
                        out.add(path, 0, format!("pub use {path}::{name} = {source}"));
                    }
                }
                continue;
            }
            let Some(name) = item["name"].as_str() else {
                continue;
            };
            self.item_lines(item, &format!("{path}::{name}"), out);
        }
    }

    fn item_lines(&self, item: &Value, path: &str, out: &mut Listing) {
        let inner = &item["inner"];
        let Some((kind, body)) = inner.as_object().and_then(|o| o.iter().next()) else {
            return;
        };
        match kind.as_str() {
            "module" => {
                out.add(path, 0, format!("pub mod {path}"));
                self.module(item, path, out);
            }
            "struct" => {
                out.add(
                    path,
                    0,
                    format!("pub struct {path}{}", generics(&body["generics"])),
                );
                let kind = &body["kind"];
                if let Some(fields) = kind["plain"]["fields"].as_array() {
                    for field in fields.iter().filter_map(|id| self.item(id)) {
                        self.field(field, path, out);
                    }
                }
                if let Some(fields) = kind["tuple"].as_array() {
                    for (i, field) in fields.iter().enumerate() {
                        if let Some(field) = self.item(field) {
                            out.add(
                                path,
                                1,
                                format!(
                                    "pub {path}.{i}: {}",
                                    type_of(&field["inner"]["struct_field"])
                                ),
                            );
                        }
                    }
                }
                self.impls(&body["impls"], path, out);
            }
            "enum" => {
                out.add(
                    path,
                    0,
                    format!("pub enum {path}{}", generics(&body["generics"])),
                );
                for variant in body["variants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.item(id))
                {
                    self.variant(variant, path, out);
                }
                self.impls(&body["impls"], path, out);
            }
            "union" => {
                out.add(path, 0, format!("pub union {path}"));
            }
            "trait" => {
                let mut line = format!("pub trait {path}{}", generics(&body["generics"]));
                let bounds = bounds(&body["bounds"]);
                if !bounds.is_empty() {
                    let _ = write!(line, ": {bounds}");
                }
                out.add(path, 0, line);
                for member in body["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.item(id))
                {
                    self.associated(member, path, out);
                }
            }
            "function" => {
                out.add(path, 0, format!("pub {}", signature(body, path)));
            }
            "constant" => {
                out.add(
                    path,
                    0,
                    format!("pub const {path}: {}", type_of(&body["type"])),
                );
            }
            "static" => {
                out.add(
                    path,
                    0,
                    format!("pub static {path}: {}", type_of(&body["type"])),
                );
            }
            "type_alias" => {
                out.add(
                    path,
                    0,
                    format!(
                        "pub type {path}{} = {}",
                        generics(&body["generics"]),
                        type_of(&body["type"])
                    ),
                );
            }
            "macro" | "proc_macro" => {
                out.add(path, 0, format!("pub macro {path}!"));
            }
            "trait_alias" => {
                out.add(path, 0, format!("pub trait alias {path}"));
            }
            other => {
                out.add(path, 0, format!("pub {other} {path}"));
            }
        }
    }

    fn field(&self, field: &Value, path: &str, out: &mut Listing) {
        if !is_public(field) {
            return;
        }
        let name = field["name"].as_str().unwrap_or("?");
        out.add(
            path,
            1,
            format!(
                "pub {path}.{name}: {}",
                type_of(&field["inner"]["struct_field"])
            ),
        );
    }

    fn variant(&self, variant: &Value, path: &str, out: &mut Listing) {
        let name = variant["name"].as_str().unwrap_or("?");
        let kind = &variant["inner"]["variant"]["kind"];
        let shape = if let Some(fields) = kind["tuple"].as_array() {
            let types: Vec<String> = fields
                .iter()
                .map(|id| {
                    self.item(id)
                        .map_or_else(|| "_".to_owned(), |f| type_of(&f["inner"]["struct_field"]))
                })
                .collect();
            format!("({})", types.join(", "))
        } else if let Some(fields) = kind["struct"]["fields"].as_array() {
            let named: Vec<String> = fields
                .iter()
                .filter_map(|id| self.item(id))
                .map(|f| {
                    format!(
                        "{}: {}",
                        f["name"].as_str().unwrap_or("?"),
                        type_of(&f["inner"]["struct_field"])
                    )
                })
                .collect();
            format!(" {{ {} }}", named.join(", "))
        } else {
            String::new()
        };
        out.add(path, 1, format!("pub {path}::{name}{shape}"));
    }

    fn impls(&self, impls: &Value, path: &str, out: &mut Listing) {
        for imp in impls
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| self.item(id))
        {
            let body = &imp["inner"]["impl"];
            if body["is_synthetic"].as_bool() == Some(true)
                || !body["blanket_impl"].is_null()
                || body["trait"]["path"].as_str() == Some("StructuralPartialEq")
            {
                continue;
            }
            if body["trait"].is_null() {
                for member in body["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.item(id))
                {
                    if is_public(member) {
                        self.associated(member, path, out);
                    }
                }
            } else {
                // Trait implementations written in this crate (not the blanket ones of std).
                let negative = if body["is_negative"].as_bool() == Some(true) {
                    "!"
                } else {
                    ""
                };
                out.add(
                    path,
                    2,
                    format!(
                        "impl{} {negative}{} for {}",
                        generics(&body["generics"]),
                        path_of(&body["trait"]),
                        type_of(&body["for"])
                    ),
                );
            }
        }
    }

    fn associated(&self, member: &Value, path: &str, out: &mut Listing) {
        let name = member["name"].as_str().unwrap_or("?");
        let inner = &member["inner"];
        let full = format!("{path}::{name}");
        if let Some(function) = inner.get("function") {
            out.add(&full, 0, format!("pub {}", signature(function, &full)));
        } else if let Some(constant) = inner.get("assoc_const") {
            out.add(
                &full,
                0,
                format!("pub const {full}: {}", type_of(&constant["type"])),
            );
        } else if let Some(assoc) = inner.get("assoc_type") {
            let bounds = bounds(&assoc["bounds"]);
            if bounds.is_empty() {
                out.add(&full, 0, format!("pub type {full}"));
            } else {
                out.add(&full, 0, format!("pub type {full}: {bounds}"));
            }
        }
    }
}

fn is_public(item: &Value) -> bool {
    // Trait items and trait-impl items have `default` visibility: they are as public as the
    // trait or type.
    matches!(item["visibility"].as_str(), Some("public" | "default"))
}

/// The `Output` of an `async_trait` method's `Pin<Box<dyn Future<Output = T> + Send + 'async_trait>>`.
fn async_trait_output(output: &Value) -> Option<&Value> {
    let pin = output.get("resolved_path")?;
    if !pin["path"].as_str()?.ends_with("Pin") {
        return None;
    }
    let boxed = pin["args"]["angle_bracketed"]["args"].get(0)?["type"].get("resolved_path")?;
    let dyn_future = boxed["args"]["angle_bracketed"]["args"].get(0)?["type"].get("dyn_trait")?;
    if dyn_future["lifetime"].as_str() != Some("'async_trait") {
        return None;
    }
    let future = &dyn_future["traits"].get(0)?["trait"];
    future["args"]["angle_bracketed"]["constraints"]
        .as_array()?
        .iter()
        .find(|c| c["name"].as_str() == Some("Output"))?["binding"]["equality"]
        .get("type")
}

fn signature(body: &Value, path: &str) -> String {
    let text = signature_text(body, path);
    if async_trait_output(&body["sig"]["output"]).is_none() {
        return text;
    }
    // An `async_trait` method, shown as it is written: `async fn`, no desugared lifetimes.
    let mut text = text;
    for i in 0..8 {
        text = text
            .replace(&format!("&'life{i} "), "&")
            .replace(&format!("'life{i}, "), "")
            .replace(&format!("'life{i}"), "");
    }
    text.replace("<'async_trait>", "")
        .replace(", 'async_trait>", ">")
        .replace("self: &Self", "&self")
        .replace(" where Self: 'async_trait", "")
}

fn signature_text(body: &Value, path: &str) -> String {
    let header = &body["header"];
    let is_async_trait = async_trait_output(&body["sig"]["output"]);
    let mut out = String::new();
    if header["is_const"].as_bool() == Some(true) {
        out.push_str("const ");
    }
    if header["is_async"].as_bool() == Some(true) || is_async_trait.is_some() {
        out.push_str("async ");
    }
    if header["is_unsafe"].as_bool() == Some(true) {
        out.push_str("unsafe ");
    }
    let _ = write!(out, "fn {path}{}(", generics(&body["generics"]));
    let inputs: Vec<String> = body["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|input| {
            let name = input[0].as_str().unwrap_or("_");
            let ty = type_of(&input[1]);
            match (name, ty.as_str()) {
                ("self", "Self") => "self".to_owned(),
                ("self", "&Self") => "&self".to_owned(),
                ("self", "&mut Self") => "&mut self".to_owned(),
                _ => format!("{name}: {ty}"),
            }
        })
        .collect();
    out.push_str(&inputs.join(", "));
    out.push(')');
    let output = is_async_trait.unwrap_or(&body["sig"]["output"]);
    if !output.is_null()
        && output
            .get("tuple")
            .and_then(Value::as_array)
            .is_none_or(|t| !t.is_empty())
    {
        let _ = write!(out, " -> {}", type_of(output));
    }
    let wheres = where_clause(&body["generics"]);
    if !wheres.is_empty() {
        let _ = write!(out, " where {wheres}");
    }
    out
}

fn generics(generics: &Value) -> String {
    let params: Vec<String> = generics["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|param| {
            let name = param["name"].as_str()?;
            let kind = &param["kind"];
            if let Some(ty) = kind.get("type") {
                if ty["is_synthetic"].as_bool() == Some(true) {
                    return None; // `impl Trait` arguments appear in the signature.
                }
                let bounds = bounds(&ty["bounds"]);
                Some(if bounds.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {bounds}")
                })
            } else if let Some(lifetime) = kind.get("lifetime") {
                let outlives: Vec<&str> = lifetime["outlives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                Some(if outlives.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {}", outlives.join(" + "))
                })
            } else if let Some(constant) = kind.get("const") {
                Some(format!("const {name}: {}", type_of(&constant["type"])))
            } else {
                Some(name.to_owned())
            }
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn where_clause(generics: &Value) -> String {
    let predicates: Vec<String> = generics["where_predicates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|predicate| {
            let bound = predicate.get("bound_predicate")?;
            Some(format!(
                "{}: {}",
                type_of(&bound["type"]),
                bounds(&bound["bounds"])
            ))
        })
        .collect();
    predicates.join(", ")
}

fn bounds(bounds: &Value) -> String {
    let parts: Vec<String> = bounds
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|bound| {
            if let Some(trait_bound) = bound.get("trait_bound") {
                let modifier = match trait_bound["modifier"].as_str() {
                    Some("maybe") => "?",
                    _ => "",
                };
                Some(format!("{modifier}{}", path_of(&trait_bound["trait"])))
            } else {
                bound
                    .get("outlives")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }
        })
        .collect();
    parts.join(" + ")
}

thread_local! {
    /// How the listing names each item rustdoc knows, by id: the crate's own items and the
    /// standard library's by their name, other crates' as `crate::Name`.
    static NAMES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

fn set_names(doc: &Value) {
    let mut names = HashMap::new();
    for (id, entry) in doc["paths"].as_object().into_iter().flatten() {
        let segments: Vec<&str> = entry["path"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
            continue;
        };
        let name = if entry["crate_id"] == 0 || matches!(*first, "std" | "core" | "alloc") {
            (*last).to_owned()
        } else {
            format!("{first}::{last}")
        };
        names.insert(id.clone(), name);
    }
    NAMES.with(|cell| *cell.borrow_mut() = names);
}

/// A path with its generic arguments.
fn path_of(path: &Value) -> String {
    let id = match &path["id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let name = NAMES.with(|cell| cell.borrow().get(&id).cloned());
    let name = name.unwrap_or_else(|| {
        let written = path["path"].as_str().unwrap_or("?");
        written.rsplit("::").next().unwrap_or(written).to_owned()
    });
    format!("{name}{}", args(&path["args"]))
}

fn args(args: &Value) -> String {
    if let Some(angle) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = angle["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| {
                if let Some(ty) = arg.get("type") {
                    type_of(ty)
                } else if let Some(lifetime) = arg.get("lifetime").and_then(Value::as_str) {
                    lifetime.to_owned()
                } else if let Some(constant) = arg.get("const") {
                    constant["expr"].as_str().unwrap_or("_").to_owned()
                } else {
                    "_".to_owned()
                }
            })
            .collect();
        for constraint in angle["constraints"].as_array().into_iter().flatten() {
            let name = constraint["name"].as_str().unwrap_or("?");
            let binding = &constraint["binding"];
            if let Some(equality) = binding.get("equality") {
                let value = equality.get("type").map_or_else(|| "_".to_owned(), type_of);
                parts.push(format!("{name} = {value}"));
            } else if let Some(constraint_bounds) = binding.get("constraint") {
                parts.push(format!("{name}: {}", bounds(constraint_bounds)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    } else if let Some(parenthesized) = args.get("parenthesized") {
        let inputs: Vec<String> = parenthesized["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(type_of)
            .collect();
        let output = &parenthesized["output"];
        if output.is_null() {
            format!("({})", inputs.join(", "))
        } else {
            format!("({}) -> {}", inputs.join(", "), type_of(output))
        }
    } else {
        String::new()
    }
}

fn type_of(ty: &Value) -> String {
    let Some((kind, body)) = ty.as_object().and_then(|o| o.iter().next()) else {
        return "_".to_owned();
    };
    match kind.as_str() {
        "resolved_path" => path_of(body),
        "generic" | "primitive" => body.as_str().unwrap_or("?").to_owned(),
        "borrowed_ref" => {
            let lifetime = body["lifetime"]
                .as_str()
                .map_or_else(String::new, |l| format!("{l} "));
            let mutable = if body["is_mutable"].as_bool() == Some(true) {
                "mut "
            } else {
                ""
            };
            format!("&{lifetime}{mutable}{}", type_of(&body["type"]))
        }
        "raw_pointer" => {
            let mutable = if body["is_mutable"].as_bool() == Some(true) {
                "mut"
            } else {
                "const"
            };
            format!("*{mutable} {}", type_of(&body["type"]))
        }
        "slice" => format!("[{}]", type_of(body)),
        "array" => format!(
            "[{}; {}]",
            type_of(&body["type"]),
            body["len"].as_str().unwrap_or("_")
        ),
        "tuple" => {
            let parts: Vec<String> = body.as_array().into_iter().flatten().map(type_of).collect();
            format!("({})", parts.join(", "))
        }
        "impl_trait" => format!("impl {}", bounds(body)),
        "dyn_trait" => {
            let traits: Vec<String> = body["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| path_of(&t["trait"]))
                .collect();
            let mut out = format!("dyn {}", traits.join(" + "));
            if let Some(lifetime) = body["lifetime"].as_str() {
                let _ = write!(out, " + {lifetime}");
            }
            out
        }
        "qualified_path" => format!(
            "<{} as {}>::{}",
            type_of(&body["self_type"]),
            body["trait"]
                .as_object()
                .map_or_else(|| "_".to_owned(), |_| path_of(&body["trait"])),
            body["name"].as_str().unwrap_or("?")
        ),
        "function_pointer" => "fn(..)".to_owned(),
        "infer" => "_".to_owned(),
        other => other.to_owned(),
    }
}
