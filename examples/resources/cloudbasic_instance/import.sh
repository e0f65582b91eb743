# cloudbasic_instance cannot be imported: the API returns an instance's key
# pair only in the answer to its one ActivateInstance, never again. This
# command fails with an error that says so:
#
#   terraform import cloudbasic_instance.local i-0a1b2c3d4e5f60001
#
# For an instance that is already activated, create an API key pair in its
# console (or with CreateUser) and use it in the provider block instead.
