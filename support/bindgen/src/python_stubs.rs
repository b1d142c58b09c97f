//! `dezky/_dezky.pyi`: the stubs of the native module, read from the binding's
//! Rust source (`bindings/python/src`).
//!
//! What the module holds, and in which order, comes from the `#[pymodule]`
//! function in `lib.rs` (`add_class`, `wrap_pyfunction!`). Each function and
//! method is described by its `#[pyo3(signature = (...) -> "R")]` attribute,
//! the one declaration of its Python signature: names, defaults, `*`, and a
//! type wherever one is written (`name: "T"`); a parameter or result without
//! one gets the type of its Rust parameter (`String` → `str`, `Option<T>` →
//! `T | None`, `Vec<T>` → `Sequence[T]`, ...). An operation of a
//! `client_methods!` block becomes its coroutine (`Coroutine[Any, Any, R]`)
//! and its `_sync` twin (`R`). What cannot be read this way (the classes of
//! `flags.rs` and `store.rs`) is the hand-written `_dezky_remainder.pyi`,
//! copied in.

use std::fmt::Write as _;
use std::path::Path;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, FnArg, ImplItem, Item, ItemFn, ReturnType, Type};

/// Source files whose classes and functions are written by hand in the remainder.
const HAND_WRITTEN: &[&str] = &["flags", "store"];

/// The header of the stub: the imports its annotations use.
const IMPORTS: &str = "\
from asyncio import Task
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from os import PathLike
from types import TracebackType
from typing import Any, final

from dezky import audit as _audit
from dezky import auth as _auth
from dezky import authentik as _authentik
from dezky import billing as _billing
from dezky import branding as _branding
from dezky import dns as _dns
from dezky import domains as _domains
from dezky import errors as _errors
from dezky import health as _health
from dezky import members as _members
from dezky import ocis as _ocis
from dezky import partners as _partners
from dezky import policy as _policy
from dezky import provisioning as _provisioning
from dezky import sso_apps as _sso_apps
from dezky import stalwart as _stalwart
from dezky import stripe as _stripe
";

fn parse(src: &Path, module: &str) -> syn::File {
    let path = src.join(format!("{module}.rs"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

/// The Python type of a Rust parameter or result, when it has an obvious one.
fn python_type(ty: &Type, argument: bool, class: &str) -> Option<String> {
    match ty {
        Type::Reference(r) => python_type(&r.elem, argument, class),
        Type::Tuple(t) if t.elems.is_empty() => Some("None".to_owned()),
        Type::Path(p) => {
            let segment = p.path.segments.last()?;
            let inner = || match &segment.arguments {
                syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                }),
                _ => None,
            };
            let name = segment.ident.to_string();
            match name.as_str() {
                "String" | "str" => Some("str".to_owned()),
                "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
                    Some("int".to_owned())
                }
                "f32" | "f64" => Some("float".to_owned()),
                "bool" => Some("bool".to_owned()),
                "Self" => Some(class.to_owned()),
                "PyResult" => python_type(inner()?, argument, class),
                "Option" => Some(format!(
                    "{} | None",
                    python_type(inner()?, argument, class)?
                )),
                "Vec" => {
                    let item = python_type(inner()?, argument, class)?;
                    Some(if argument {
                        format!("Sequence[{item}]")
                    } else {
                        format!("list[{item}]")
                    })
                }
                "Bound" => python_type(inner()?, argument, class),
                "PyAny" => Some("Any".to_owned()),
                "PyDict" => Some("dict[str, Any]".to_owned()),
                // A native class of this module, `PyColour` being `Colour`.
                native
                    if native.len() > 2
                        && native.starts_with("Py")
                        && native[2..].starts_with(|c: char| c.is_ascii_uppercase()) =>
                {
                    Some(native[2..].to_owned())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// One parameter of a Python signature.
enum Param {
    Named {
        name: String,
        annotation: Option<String>,
        default: Option<String>,
    },
    /// `*` or `/`.
    Marker(String),
}

/// The `signature` of a `#[pyo3(...)]` attribute: its parameters and result annotation.
fn signature(attrs: &[Attribute]) -> Option<(Vec<Param>, Option<String>)> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("pyo3")) {
        let syn::Meta::List(list) = &attr.meta else {
            continue;
        };
        let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
        let Some(at) = tokens
            .iter()
            .position(|t| matches!(t, TokenTree::Ident(i) if i == "signature"))
        else {
            continue;
        };
        let Some(TokenTree::Group(group)) = tokens.get(at + 2) else {
            continue;
        };
        let returns = match (tokens.get(at + 3), tokens.get(at + 5)) {
            (Some(TokenTree::Punct(p)), Some(TokenTree::Literal(l))) if p.as_char() == '-' => {
                Some(unquote(&l.to_string()))
            }
            _ => None,
        };
        let mut params = Vec::new();
        for entry in split_commas(group.stream()) {
            let mut entry = entry.into_iter().peekable();
            let Some(first) = entry.next() else { continue };
            let name = match first {
                TokenTree::Punct(p) => {
                    params.push(Param::Marker(p.as_char().to_string()));
                    continue;
                }
                other => python_ident(&other.to_string()),
            };
            let mut annotation = None;
            let mut default = None;
            while let Some(token) = entry.next() {
                match token {
                    TokenTree::Punct(p) if p.as_char() == ':' => {
                        if let Some(TokenTree::Literal(l)) = entry.next() {
                            annotation = Some(unquote(&l.to_string()));
                        }
                    }
                    TokenTree::Punct(p) if p.as_char() == '=' => {
                        let text: TokenStream = entry.by_ref().collect();
                        default = Some(python_default(&text.to_string()));
                    }
                    _ => {}
                }
            }
            params.push(Param::Named {
                name,
                annotation,
                default,
            });
        }
        return Some((params, returns));
    }
    None
}

/// A Rust identifier as Python spells it (`r#type` is `type`).
fn python_ident(rust: &str) -> String {
    rust.trim_start_matches("r#").to_owned()
}

fn unquote(literal: &str) -> String {
    literal.trim_matches('"').replace("\\\"", "\"")
}

fn python_default(rust: &str) -> String {
    match rust.replace(' ', "").as_str() {
        "None" => "None".to_owned(),
        "true" => "True".to_owned(),
        "false" => "False".to_owned(),
        number if number.parse::<f64>().is_ok() => number.to_owned(),
        _ => "...".to_owned(),
    }
}

fn split_commas(stream: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut entries = vec![Vec::new()];
    for token in stream {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => entries.push(Vec::new()),
            _ => entries.last_mut().map_or((), |e| e.push(token)),
        }
    }
    entries.retain(|e| !e.is_empty());
    entries
}

/// How a function is bound.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Function,
    Method,
    Static,
    New,
    Getter,
}

/// The stub line(s) of one function: `def name(...) -> R: ...`.
fn stub(function: &ItemFn, kind: Kind, class: &str, coroutine: bool, name: &str) -> String {
    let what = format!("{class}.{name}");
    let rust_args: Vec<(String, &Type)> = function
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(t) => Some((python_ident(&t.pat.to_token_stream().to_string()), &*t.ty)),
            FnArg::Receiver(_) => None,
        })
        .filter(|(_, ty)| !ty.to_token_stream().to_string().starts_with("Python"))
        .collect();
    let (params, returns) = signature(&function.attrs).unwrap_or_else(|| {
        let params = rust_args
            .iter()
            .map(|(name, _)| Param::Named {
                name: name.clone(),
                annotation: None,
                default: None,
            })
            .collect();
        (params, None)
    });
    let mut parts: Vec<String> = match kind {
        Kind::Method | Kind::Getter => vec!["self".to_owned()],
        Kind::New => vec!["cls".to_owned()],
        Kind::Function | Kind::Static => Vec::new(),
    };
    for param in params {
        match param {
            Param::Marker(marker) => parts.push(marker),
            Param::Named {
                name,
                annotation,
                default,
            } => {
                let ty = annotation.unwrap_or_else(|| {
                    let rust = rust_args
                        .iter()
                        .find(|(n, _)| *n == name)
                        .unwrap_or_else(|| panic!("{what}: no Rust parameter `{name}`"));
                    python_type(rust.1, true, class).unwrap_or_else(|| {
                        panic!("{what}: annotate `{name}` in #[pyo3(signature = (...))]")
                    })
                });
                match default {
                    Some(d) => parts.push(format!("{name}: {ty} = {d}")),
                    None => parts.push(format!("{name}: {ty}")),
                }
            }
        }
    }
    let result = returns.unwrap_or_else(|| match &function.sig.output {
        ReturnType::Default => "None".to_owned(),
        ReturnType::Type(_, ty) => python_type(ty, false, class)
            .unwrap_or_else(|| panic!("{what}: annotate its result (`-> \"R\"` in the signature)")),
    });
    let result = if coroutine {
        format!("Coroutine[Any, Any, {result}]")
    } else {
        result
    };
    let indent = if class.is_empty() { "" } else { "    " };
    let decorator = match kind {
        Kind::Static => format!("{indent}@staticmethod\n"),
        Kind::Getter => format!("{indent}@property\n"),
        _ => String::new(),
    };
    let python_name = if kind == Kind::New { "__new__" } else { name };
    format!(
        "{decorator}{indent}def {python_name}({}) -> {result}: ...\n",
        parts.join(", ")
    )
}

/// The methods of an `impl` block (of `#[pymethods]` or `client_methods!`).
fn methods(items: &[ImplItem], class: &str, out: &mut String) {
    for item in items {
        let ImplItem::Fn(method) = item else { continue };
        let name = method.sig.ident.to_string();
        if name.starts_with("__") {
            continue;
        }
        let kind = if has_attr(&method.attrs, "new") {
            Kind::New
        } else if has_attr(&method.attrs, "staticmethod") {
            Kind::Static
        } else if has_attr(&method.attrs, "getter") {
            Kind::Getter
        } else {
            Kind::Method
        };
        let function = ItemFn {
            attrs: method.attrs.clone(),
            vis: syn::Visibility::Inherited,
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        out.push_str(&stub(&function, kind, class, false, &name));
    }
}

/// The operations of a `client_methods!` block: `fn name / sync(args) => convert { body }`,
/// each a coroutine method and its blocking twin.
fn operations(stream: TokenStream, class: &str, out: &mut String) {
    let mut attrs = TokenStream::new();
    let mut tokens = stream.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                attrs.extend([token]);
                attrs.extend(tokens.next());
            }
            TokenTree::Ident(i) if i == "fn" => {
                let name = tokens.next().map(|t| t.to_string()).unwrap_or_default();
                tokens.next(); // `/`
                let sync = tokens.next().map(|t| t.to_string()).unwrap_or_default();
                let args = tokens
                    .next()
                    .map(|t| t.to_token_stream())
                    .unwrap_or_default();
                // `=> convert { body }`
                for _ in 0..4 {
                    tokens.next();
                }
                let text = format!("{attrs} fn {name}{args} {{}}");
                let function: ItemFn = syn::parse_str(&text)
                    .unwrap_or_else(|e| panic!("{class}.{name}: cannot read the operation: {e}"));
                out.push_str(&stub(&function, Kind::Method, class, true, &name));
                out.push_str(&stub(&function, Kind::Method, class, false, &sync));
                attrs = TokenStream::new();
            }
            _ => {}
        }
    }
}

/// The Python name of a `#[pyclass(name = "...")]` struct.
fn class_name(file: &syn::File, rust: &str) -> Option<String> {
    file.items.iter().find_map(|item| match item {
        Item::Struct(s) if s.ident == rust => s.attrs.iter().find_map(|a| {
            let text = a.meta.to_token_stream().to_string();
            let start = text.find("name = \"")? + 8;
            let end = text[start..].find('"')? + start;
            a.path()
                .is_ident("pyclass")
                .then(|| text[start..end].to_owned())
        }),
        _ => None,
    })
}

/// The stub of the class `rust` of `file`.
fn class_stub(file: &syn::File, rust: &str) -> (String, String) {
    let name = class_name(file, rust).unwrap_or_else(|| panic!("{rust}: no #[pyclass(name)]"));
    let mut out = format!("@final\nclass {name}:\n");
    for item in &file.items {
        match item {
            Item::Impl(block)
                if has_attr(&block.attrs, "pymethods")
                    && block.self_ty.to_token_stream().to_string() == rust =>
            {
                methods(&block.items, &name, &mut out);
            }
            Item::Macro(m) if m.mac.path.is_ident("client_methods") => {
                let tokens: Vec<TokenTree> = m.mac.tokens.clone().into_iter().collect();
                let Some(TokenTree::Ident(target)) = tokens.get(1) else {
                    continue;
                };
                if target != rust {
                    continue;
                }
                let plain: TokenStream = tokens[..3].iter().cloned().collect();
                let block: syn::ItemImpl = syn::parse2(plain)
                    .unwrap_or_else(|e| panic!("{rust}: cannot read client_methods!: {e}"));
                methods(&block.items, &name, &mut out);
                if let Some(TokenTree::Group(ops)) = tokens.iter().skip(3).rfind(
                    |t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace),
                ) {
                    operations(ops.stream(), &name, &mut out);
                }
            }
            _ => {}
        }
    }
    (name, out)
}

/// The stub of the function `rust` of `file`.
fn function_stub(file: &syn::File, rust: &str) -> String {
    let function = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Fn(f) if f.sig.ident == rust && has_attr(&f.attrs, "pyfunction") => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no #[pyfunction] {rust}"));
    stub(function, Kind::Function, "", false, rust)
}

/// The text of `_dezky.pyi`.
pub(crate) fn render(root: &Path) -> String {
    let src = root.join("bindings/python/src");
    let lib = parse(&src, "lib");
    let remainder_path = src.join("_dezky_remainder.pyi");
    let remainder = std::fs::read_to_string(&remainder_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", remainder_path.display()));

    let module = lib
        .items
        .iter()
        .find_map(|item| match item {
            Item::Fn(f) if has_attr(&f.attrs, "pymodule") => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("lib.rs has no #[pymodule]"));
    let calls = module.block.to_token_stream().to_string();
    let mut names: Vec<String> = Vec::new();
    let mut body = String::new();
    // `add_class :: < module :: Type >` and `wrap_pyfunction ! (module :: name , m)`.
    for call in calls.split(". add_").skip(1) {
        let path: String = if let Some(rest) = call.strip_prefix("class :: < ") {
            rest.split(" >").next().unwrap_or_default().to_owned()
        } else if let Some(rest) = call.split("wrap_pyfunction ! (").nth(1) {
            rest.split(" ,").next().unwrap_or_default().to_owned()
        } else {
            continue;
        };
        let Some((file, item)) = path.split_once(" :: ") else {
            panic!("lib.rs: cannot read {path}")
        };
        let source = parse(&src, file);
        let name = if call.starts_with("class") && HAND_WRITTEN.contains(&file) {
            class_name(&source, item).unwrap_or_else(|| panic!("{item}: no #[pyclass(name)]"))
        } else if call.starts_with("class") {
            let (name, text) = class_stub(&source, item);
            let _ = write!(body, "\n{text}");
            name
        } else {
            if !HAND_WRITTEN.contains(&file) {
                body.push_str(&function_stub(&parse(&src, file), item));
            }
            item.to_owned()
        };
        names.push(name);
    }
    // `error::register` adds `ERROR_CODES` (in the remainder) and `_error_examples`.
    let error = parse(&src, "error");
    body.push_str(&function_stub(&error, "_error_examples"));
    names.extend(["ERROR_CODES".to_owned(), "_error_examples".to_owned()]);
    names.push("__version__".to_owned());

    let mut out = format!(
        "# @generated by `{}` from bindings/python/src (signatures) and\n\
         # bindings/python/src/_dezky_remainder.pyi; do not edit. `python -m mypy.stubtest\n\
         # dezky._dezky` (run by test.sh) fails when they drift from the compiled module.\n",
        super::COMMAND
    );
    out.push_str(IMPORTS);
    out.push_str("\n__version__: str\n__all__ = [\n");
    for name in &names {
        let _ = writeln!(out, "    \"{name}\",");
    }
    out.push_str("]\n\n");
    out.push_str(&remainder);
    out.push_str(&body);
    out
}
