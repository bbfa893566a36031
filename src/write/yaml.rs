//! YAML serialization with the options every file rkv writes shares.

use serde::Serialize;
use serde_saphyr::SerializerOptions;

fn options() -> SerializerOptions {
    let mut o = SerializerOptions::default();
    o.indent_step = 2;
    // Kubernetes readers want long single-line strings kept on one line.
    o.folded_wrap_chars = usize::MAX;
    o.min_fold_chars = usize::MAX;
    o
}

/// One YAML document for `value`, without a leading `---`.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string_with_options(value, options())
}

/// A multi-document stream: documents joined by `---`.
pub fn to_yaml_stream<T: Serialize>(values: &[T]) -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for v in values {
        out.push_str("---\n");
        out.push_str(&to_yaml(v)?);
    }
    Ok(out)
}
