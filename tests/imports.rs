//! The layers of ARCHITECTURE.md stand on each other without import cycles: the crate's
//! top-level modules, and the format modules of `src/inspect/` (the sniffer above the
//! parsers whose media types it knows). Read from the source text, tests left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The source of `path` before its test module, which may reach anywhere.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every name `text` takes through `prefix` (`crate::`,
/// `super::`), brace groups (`prefix{a, b::c}`) included.
fn taken(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let (mut depth, mut start) = (0usize, 0usize);
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            names.insert(ident(group[start..i].trim()).to_string());
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            names.insert(ident(group[start..i].trim()).to_string());
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
            }
            None => {
                names.insert(ident(rest).to_string());
            }
        }
    }
    names
}

/// A cycle of `edges`, if there is one, as the names along it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(node: &str, edges: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut found = path[i..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(root()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if !matches!(name.as_str(), "main" | "lib") && (p.is_dir() || p.extension().is_some_and(|e| e == "rs")) {
            modules.insert(name, p);
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, path) in &modules {
        let uses = rust_files(path).iter().flat_map(|f| taken(&code(f), "crate::")).filter(|m| m != name && modules.contains_key(m)).collect();
        edges.insert(name.clone(), uses);
    }
    assert!(edges["store"].contains("config") && edges["cli"].contains("store"), "the imports are read: {edges:?}");
    assert_eq!(cycle(&edges), None, "top-level modules that import each other: {edges:?}");
}

#[test]
fn the_inspection_formats_import_each_other_without_a_cycle() {
    let dir = root().join("inspect");
    let files: BTreeMap<String, PathBuf> = rust_files(&dir)
        .into_iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().to_string(), p))
        .filter(|(n, _)| n != "mod")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, path) in &files {
        let text = code(path);
        let uses = taken(&text, "super::").into_iter().chain(taken(&text, "crate::inspect::")).filter(|m| m != name && files.contains_key(m)).collect();
        edges.insert(name.clone(), uses);
    }
    assert!(edges["sniff"].contains("sbom") && edges["artifact"].contains("sniff"), "the imports are read: {edges:?}");
    assert_eq!(cycle(&edges), None, "inspection modules that import each other: {edges:?}");
}
