"""Provisioning an environment: the tool check (`doctor`), the Pulumi Automation API driver, the demo fleet's
images for kind, the bounded wait for Argo CD, and the orchestration of `groundwork up` / `down`."""
