//! Model checks (shuttle) of the caching protocols.

fn main() {}
