/** `mailstream template put <id> --file …`: validate and publish a new template version. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { connectRuntime } from '../../runtime.js';

/** Register the command. */
export function register(program: Command): void {
  const template = program.command('template').description('stored, versioned templates (compacted templates topic)');
  template.command('put').argument('<id>', 'template ID')
    .requiredOption('--file <path>', '.yaml/.json with subject, from, replyTo, mjml|html, text, headers; or an .mjml/.html body')
    .option('--subject <text>', 'subject template (with an .mjml/.html file)').option('--from <addr>', 'From template (with an .mjml/.html file)')
    .option('--tenant <name>', 'tenant the template belongs to', 'default')
    .option('--engine <engine>', 'template language: sparkpost (default) or eta (JavaScript; operator only); overrides the file\'s engine')
    .description('compile, then publish as the next version; a broken template is refused with line and column')
    .action(async (id: string, o: { file: string; subject?: string; from?: string; engine?: string; tenant: string }) => {
      const { readTemplateFile, publishTemplate } = await import('../../producers/templates.js');
      const src = readTemplateFile(o.file, { subject: o.subject, from: o.from, engine: o.engine });
      const rt = await connectRuntime(config(), 'cli');
      // the operator's own shell: the one door that may publish Eta
      try { console.log(`${id} version ${await publishTemplate(rt, id, src, { trust: 'operator', tenant: o.tenant })}`); } finally { await rt.close(); }
    });
}
