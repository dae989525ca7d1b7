// Kafka's topic-name rules: ASCII letters, digits, '.', '_' and '-', at most 249 characters, not '.' or '..'.

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Why `name` is not a valid topic name, or undefined when it is. */
export function topicNameProblem(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined || name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name "${name}" is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `topic name is ${name.length} characters long; the limit is ${MAX_TOPIC_NAME_LENGTH}`;
  }
  if (!LEGAL.test(name)) {
    return `topic name "${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`;
  }
  return undefined;
}
