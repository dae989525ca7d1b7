// The Apache Kafka release the tests run against: its jars fetched once from Maven Central with Maven and
// kept in .cache/kafka/<version>/libs (git-ignored), so later runs need neither Maven nor the network.
//
// Why Maven and not the release tarball: the machines reach Maven Central and no other download site, and
// Maven resolves the exact runtime dependencies of `kafka_2.13` and `kafka-tools` for us.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned release. Changing it means checking LOG4J_VERSION against that release's log4j-core. */
export const KAFKA_VERSION = '4.1.1';
/** Kafka 4.1 logs through slf4j 1.7 and ships log4j2 2.24.3; this is the matching slf4j → log4j2 binding. */
const LOG4J_VERSION = '2.24.3';
const DEPENDENCY_PLUGIN_VERSION = '3.8.1';
/** Java 17 is the oldest the Kafka 4.x broker runs on. */
const MIN_JAVA = 17;
/** Maven on a cold cache downloads ~45 MB; far more than that means it is stuck. */
const FETCH_DEADLINE_MS = 15 * 60_000;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE_ROOT = join(REPO_ROOT, '.cache', 'kafka');

export interface KafkaDistribution {
  version: string;
  /** .cache/kafka/<version> */
  home: string;
  /** The java executable ($JAVA_HOME/bin/java or `java` on PATH), checked to be 17 or newer. */
  java: string;
  /** A `-cp` value naming every jar. */
  classpath: string;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

/** Runs a command to completion, collecting its output; a missing executable is reported, not thrown. */
export function run(
  command: string,
  args: string[],
  options: { deadlineMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      stderr += `\n(killed: still running after ${options.deadlineMs} ms)`;
      child.kill('SIGKILL');
    }, options.deadlineMs ?? 120_000);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolvePromise({ code: null, stdout, stderr, error });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The java executable, after checking that it runs and is Java 17+; throws saying what to install. */
export async function findJava(): Promise<string> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const where = process.env.JAVA_HOME ? `${java} (from JAVA_HOME)` : '`java` on PATH';
  const result = await run(java, ['-version']);
  if (result.error?.code === 'ENOENT') {
    throw new Error(
      `Apache Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA} or newer, but ${where} was not found. ` +
        `Install a JDK or JRE (e.g. \`apt-get install openjdk-17-jre-headless\`) or set JAVA_HOME.`,
    );
  }
  const output = result.stderr + result.stdout;
  const version = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (result.code !== 0 || !version) {
    throw new Error(`\`${java} -version\` failed (exit ${result.code}): ${output.trim()}`);
  }
  // "1.8.0_382" is Java 8; "17.0.15" is Java 17.
  const major = version[1] === '1' ? Number(version[2]) : Number(version[1]);
  if (major < MIN_JAVA) {
    throw new Error(
      `Apache Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA} or newer, but ${where} is Java ${major}. ` +
        `Install a newer one (e.g. \`apt-get install openjdk-17-jre-headless\`) or point JAVA_HOME at it.`,
    );
  }
  return java;
}

async function checkMaven(): Promise<void> {
  const result = await run('mvn', ['-v']);
  if (result.error?.code === 'ENOENT') {
    throw new Error(
      `Maven (\`mvn\`) is needed once to fetch the Apache Kafka ${KAFKA_VERSION} jars into ` +
        `${join(CACHE_ROOT, KAFKA_VERSION)}, but it is not on PATH. Install it (e.g. \`apt-get install maven\`).`,
    );
  }
  if (result.code !== 0) throw new Error(`\`mvn -v\` failed (exit ${result.code}): ${result.stderr.trim()}`);
}

/** The throwaway project whose runtime dependencies are exactly the jars a Kafka broker needs. */
function pom(): string {
  const dependency = (groupId: string, artifactId: string, version: string, exclusions = ''): string =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId>` +
    `<version>${version}</version>${exclusions}</dependency>`;
  // kafka-tools brings Kafka Connect's runtime (Jetty, Jersey: ~20 jars) for one tool, connect-plugin-path,
  // that the tests never run; leaving it out halves the download.
  const withoutConnect =
    '<exclusions>' +
    '<exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>' +
    '<exclusion><groupId>com.fasterxml.jackson.jakarta.rs</groupId><artifactId>*</artifactId></exclusion>' +
    '</exclusions>';
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka/distribution.ts to fetch the Apache Kafka jars; not a build. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.test</groupId>
  <artifactId>apache-kafka-jars</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dependency('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dependency('org.apache.kafka', 'kafka-tools', KAFKA_VERSION, withoutConnect)}
${dependency('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

function isComplete(home: string): boolean {
  const libs = join(home, 'libs');
  return existsSync(libs) && readdirSync(libs).includes(`kafka_2.13-${KAFKA_VERSION}.jar`);
}

/**
 * Makes sure the pinned release is in the cache (fetching it with Maven if not) and that Java 17+ is
 * there to run it. Safe to call from several processes at once: each fetches into its own folder and the
 * first to finish renames it into place.
 */
export async function ensureKafka(
  options: { log?: (line: string) => void } = {},
): Promise<KafkaDistribution> {
  const log = options.log ?? (() => undefined);
  const home = join(CACHE_ROOT, KAFKA_VERSION);
  const java = await findJava();
  if (!isComplete(home)) {
    await checkMaven();
    log(`fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${home}`);
    await mkdir(CACHE_ROOT, { recursive: true });
    const staging = join(CACHE_ROOT, `.${KAFKA_VERSION}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging);
      await writeFile(join(staging, 'pom.xml'), pom());
      const result = await run(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          join(staging, 'pom.xml'),
          `org.apache.maven.plugins:maven-dependency-plugin:${DEPENDENCY_PLUGIN_VERSION}:copy-dependencies`,
          '-DincludeScope=runtime',
          `-DoutputDirectory=${join(staging, 'libs')}`,
        ],
        { deadlineMs: FETCH_DEADLINE_MS },
      );
      if (result.code !== 0) {
        const output = (result.stdout + result.stderr).trim().split('\n').slice(-30).join('\n');
        throw new Error(
          `Maven could not fetch Apache Kafka ${KAFKA_VERSION} (exit ${result.code}):\n${output}`,
        );
      }
      if (!isComplete(staging))
        throw new Error(`Maven finished but ${staging}/libs lacks the kafka_2.13 jar`);
      await rename(staging, home).catch((err: NodeJS.ErrnoException) => {
        // Another process got there first: its copy is as good as ours.
        if (!isComplete(home)) throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return {
    version: KAFKA_VERSION,
    home,
    java,
    classpath: join(home, 'libs', '*'),
  };
}
