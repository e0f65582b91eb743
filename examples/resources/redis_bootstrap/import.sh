# A node is imported by its endpoint, the base URL of its REST API. Reads use
# the provider's username and password (or REDIS_USERNAME / REDIS_PASSWORD).
terraform import redis_bootstrap.node1 https://node1.example.com:9443
