// A count with its noun, in the number the count asks for: "1 user", "2 users", "1,000 users".

export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}
