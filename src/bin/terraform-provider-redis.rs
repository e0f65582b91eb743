//! `terraform-provider-redis` (not yet written).

fn main() {
    eprintln!("terraform-provider-redis is not built yet");
    std::process::exit(1);
}
