//! `terraform-provider-css` (not yet written).

fn main() {
    eprintln!("terraform-provider-css is not built yet");
    std::process::exit(1);
}
