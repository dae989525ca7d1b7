// The one module that imports @platformatic/kafka: the rest of src/sdk/kafka takes the client library's
// classes from here, so what the SDK uses of it is listed in one place and swapping it touches these names.
export {
  Admin,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  type GroupAssignment,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
