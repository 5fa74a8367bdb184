import { parseArgs } from 'node:util';
import { createServices } from '../../services';
import { Role } from '../../auth/api-token.entity';
import { localConfig, say, withDatabase } from './local';

export const help = `usage: ferry token create --role PLATFORM_ADMIN|ORG_ADMIN|ORG_READER [--organization ID] [--name NAME]
Creates an API token directly in Ferry's database (no token needed: whoever runs this can reach
the database) and prints its secret once. Use it to recover access or to script a deployment;
tokens for day-to-day use come from createApiToken.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, organization: { type: 'string' }, name: { type: 'string', default: 'created with ferry token create' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) return say(help), 0;
  if (positionals[0] !== 'create') return process.stderr.write(`${help}\n`), 1;
  const role = values.role?.toUpperCase();
  if (!role || !Object.values(Role).includes(role as Role)) {
    process.stderr.write(`ferry token create: --role must be one of ${Object.values(Role).join(', ')}\n`);
    return 1;
  }
  const local = localConfig();
  if (typeof local === 'number') return local;
  const { secret, token } = await withDatabase(local, async (orm) => {
    const services = createServices({ orm, logger: local.logger });
    return services.apiTokens.createFromCommandLine(orm.em.fork(), { name: values.name!, role: role as Role, organizationId: values.organization ?? null }, local.logger);
  });
  say(secret);
  process.stderr.write(`token ${token.id} (${token.role}${values.organization ? `, organisation ${values.organization}` : ''}) created; the secret above is shown once\n`);
  return 0;
}
