# A cluster is imported by its local_server: the address of the instance whose
# API the provider talks to. The API cannot describe a cluster, so the first
# plan after the import sets remote_server, port and the remote keys in place
# (one AlterCluster call) from the configuration.
terraform import cloudbasic_cluster.example 10.0.1.15
