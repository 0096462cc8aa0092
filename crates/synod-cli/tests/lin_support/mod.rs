//! What the `synod lin` tests share.

use std::path::Path;

/// A file of synod-check's test data (the Jepsen etcd and Porcupine kv corpora).
pub fn data(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../synod-check/tests/data")
        .join(rel)
        .display()
        .to_string()
}
