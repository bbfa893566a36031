//! Notes on the imported spec: which values import inferred, which source settings it
//! could not map, and which it changed on purpose. Each note sits on a spec field (a JSON
//! pointer) and becomes a YAML comment above it and a line of the report.

use serde::Serialize;

/// Why a value of the spec carries a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// Not read from the source: a default, a convention or a guess to review.
    Inferred,
    /// A source setting the spec has no field for; the rendered objects lose it.
    Unmapped,
    /// Changed on purpose, because rkv's checks refuse the source's value.
    Changed,
}

impl NoteKind {
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Inferred => "inferred",
            NoteKind::Unmapped => "not mapped",
            NoteKind::Changed => "changed",
        }
    }
}

/// One note on one spec field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    /// JSON pointer of the spec field (`/spec/persistence/size`); `/spec` for the whole spec.
    pub pointer: String,
    pub kind: NoteKind,
    pub text: String,
}

/// Every note of an import, in the order they were made (deduplicated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Notes(pub Vec<Note>);

impl Notes {
    pub fn add(&mut self, pointer: &str, kind: NoteKind, text: impl Into<String>) {
        let n = Note {
            pointer: pointer.to_string(),
            kind,
            text: text.into(),
        };
        if !self.0.contains(&n) {
            self.0.push(n);
        }
    }
    pub fn inferred(&mut self, pointer: &str, text: impl Into<String>) {
        self.add(pointer, NoteKind::Inferred, text);
    }
    pub fn unmapped(&mut self, pointer: &str, text: impl Into<String>) {
        self.add(pointer, NoteKind::Unmapped, text);
    }
    pub fn changed(&mut self, pointer: &str, text: impl Into<String>) {
        self.add(pointer, NoteKind::Changed, text);
    }
    /// Notes on `pointer` exactly.
    pub fn on<'a>(&'a self, pointer: &'a str) -> impl Iterator<Item = &'a Note> + 'a {
        self.0.iter().filter(move |n| n.pointer == pointer)
    }
    /// Drops the notes on `pointer` and below (the field was replaced).
    pub fn clear_under(&mut self, pointer: &str) {
        self.0
            .retain(|n| !(n.pointer == pointer || n.pointer.starts_with(&format!("{pointer}/"))));
    }
}
