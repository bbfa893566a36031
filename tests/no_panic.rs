//! The loader never panics: arbitrary bytes and mutated profiles give a diagnostic or a spec.

use proptest::prelude::*;

fn profiles() -> Vec<String> {
    let dir = crate::support::root().join("profiles");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    v.sort();
    v
}

fn load(text: String) {
    match rkv::spec::load_str("fuzz.yaml", text) {
        Ok(l) => {
            let _ = rkv::compile::compile(&l);
        }
        Err(d) => assert!(d.iter().any(|d| d.is_error()), "a refusal carries an error"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        load(text);
    }

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        load(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn mutated_profiles(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[ -~\\t\\n]{0,3}"), 1..6)) {
        let all = profiles();
        let mut text: Vec<char> = all[which % all.len()].chars().collect();
        for (at, op, s) in edits {
            if text.is_empty() { break; }
            let i = at.index(text.len());
            match op {
                0 => { text.remove(i); }
                1 => { for (k, c) in s.chars().enumerate() { text.insert(i + k, c); } }
                2 => { text[i] = s.chars().next().unwrap_or(' '); }
                _ => { let end = (i + 20).min(text.len()); text.drain(i..end); }
            }
        }
        load(text.into_iter().collect());
    }
}
