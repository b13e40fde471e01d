// Validates Backstage entities the way the catalog does before it accepts them: the default entity policies
// (namespace, no foreign root fields, field formats, envelope schema), then the built-in kind validators
// (Component, API, System...), then every entity reference in spec parsed with the kind Backstage assumes.
// Reads a JSON array of entities on stdin; prints {"entities": [...]} with the resolved references, or one
// line per problem on stderr and exits 1.
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  stringifyEntityRef,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);
const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];
// spec field -> the kind Backstage assumes when a reference names none
const refFields = {
  owner: 'group',
  system: 'system',
  domain: 'domain',
  subcomponentOf: 'component',
  providesApis: 'api',
  consumesApis: 'api',
  dependsOn: undefined,
  dependencyOf: undefined,
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const problems = [];
const out = [];
for (const [index, raw] of JSON.parse(input).entries()) {
  const label = `entity ${index + 1} (${raw?.kind ?? '?'} ${raw?.metadata?.name ?? '?'})`;
  try {
    const entity = await policy.enforce(raw);
    let known = false;
    for (const validator of kindValidators) {
      if (await validator.check(entity)) known = true;
    }
    if (!known) throw new Error(`kind ${entity.kind} of ${entity.apiVersion} is not a built-in Backstage kind`);
    const refs = {};
    for (const [field, defaultKind] of Object.entries(refFields)) {
      const value = entity.spec?.[field];
      if (value === undefined) continue;
      const parse = r => stringifyEntityRef(parseEntityRef(r, { defaultKind, defaultNamespace: entity.metadata.namespace }));
      refs[field] = Array.isArray(value) ? value.map(parse) : parse(value);
    }
    out.push({ ref: stringifyEntityRef(entity), refs });
  } catch (error) {
    problems.push(`${label}: ${error.message}`);
  }
}
if (problems.length) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(JSON.stringify({ entities: out }));
