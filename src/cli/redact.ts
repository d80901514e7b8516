/** Secrets seen so far (deploy keys and their secret halves); every byte agg writes passes through it. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (!secret) return;
    const value = secret.trim();
    if (value.length < 6) return;
    this.secrets.add(value);
    // A deploy key is `kind:name|secret`: the secret half alone must never leak either.
    const bar = value.indexOf('|');
    if (bar >= 0 && value.length - bar > 8) this.secrets.add(value.slice(bar + 1));
  }

  apply(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** Command-line arguments as they may be recorded (run ledger): option values that are keys redacted. */
  args(args: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--admin-key' && i + 1 < args.length) {
        out.push(arg, '[redacted]');
        i++;
      } else if (arg.startsWith('--admin-key=')) {
        out.push('--admin-key=[redacted]');
      } else {
        out.push(this.apply(arg));
      }
    }
    return out;
  }
}
