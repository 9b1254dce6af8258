//! Turns on the svix arm of `benches/verify.rs`.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(hookguard_peers)");
    println!("cargo::rustc-cfg=hookguard_peers");
}
