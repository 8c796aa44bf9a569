//! Rebuilds the crate when a migration is added under `migrations/`: `sqlx::migrate!`
//! embeds the files it finds, and Cargo tracks only the files it already read.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
