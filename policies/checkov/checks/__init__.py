"""groundwork's custom checkov checks (CKV_GW_*), loaded with `--external-checks-dir policies/checkov/checks`."""
