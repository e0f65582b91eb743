//! `terraform-provider-cloudbasic` (not yet written).

fn main() {
    eprintln!("terraform-provider-cloudbasic is not built yet");
    std::process::exit(1);
}
