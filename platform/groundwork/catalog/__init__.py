"""The service catalog: Backstage descriptors (Groups, Users, Domains, Systems, Components, APIs) located from
the repository's root catalog-info.yaml, the call graph and context map they declare, CODEOWNERS, and the drift
between the declared graph and the mesh's AuthorizationPolicies."""
