# A cluster is imported by its UUID, as shown in the Instaclustr console and
# returned by the provisioning API.
terraform import instaclustr_cluster.example 5f1b3c9e-2d4a-4e8b-9c71-0a6d2e8f4b13
