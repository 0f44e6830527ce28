//! Placeholder until the parse bench lands.

fn main() {}
