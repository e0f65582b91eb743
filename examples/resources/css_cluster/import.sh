# A cluster is imported by its id, as shown in the CSS console and returned by
# the API.
terraform import css_cluster.example 4f6d0a2c-7b1e-4c9d-8e3a-5b2f9c1d7e60
