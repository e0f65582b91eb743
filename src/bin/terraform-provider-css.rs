//! `terraform-provider-css`: the Huawei Cloud Search Service (CSS) provider plugin.

fn main() {
    std::process::exit(clusterform::protocol::serve_provider(
        "terraform-provider-css",
        clusterform::vendors::css::CssProvider::new,
    ));
}
