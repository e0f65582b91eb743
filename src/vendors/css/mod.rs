//! Huawei Cloud Search Service (CSS): clusters over IAM token auth.
