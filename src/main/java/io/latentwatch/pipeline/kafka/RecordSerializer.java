package io.latentwatch.pipeline.kafka;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The job's one Kafka record serializer: every element becomes a record of the sink's topic with the key, value and
 * headers its {@link Contents} give (partition and timestamp are the producer's). What differs between the sinks
 * (the JSON of a scored frame, a dead letter cut to fit, a signed model update) is a {@link Contents}, not another
 * serializer.
 *
 * <p>Not flink-connector-kafka's {@code KafkaRecordSerializationSchema.builder()}: it takes key, value and headers
 * from three separate functions, and a dead letter's three are cut to fit together.
 *
 * @param <T> the sink's elements
 */
public final class RecordSerializer<T> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final Contents<T> contents;

    /**
     * @param topic where every record goes
     * @param contents what each element becomes
     */
    public RecordSerializer(String topic, Contents<T> contents) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.contents = Objects.requireNonNull(contents, "contents");
    }

    /** Records of UTF-8 text, without headers: the key and the value are functions of the element. */
    public static <T> RecordSerializer<T> text(String topic, SerializableFunction<T, String> key, SerializableFunction<T, String> value) {
        return new RecordSerializer<>(topic, element -> Parts.text(key.apply(element), value.apply(element)));
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
        contents.open(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        Parts parts = contents.of(element);
        return new ProducerRecord<>(topic, null, null, parts.key(), parts.value(), parts.headers());
    }

    /**
     * What one element becomes on the topic. It travels with the job graph to every sink writer, so it is
     * serialisable; what it reads at run time (a key file, the broker's limits) it reads in {@link #open}.
     *
     * @param <T> the sink's elements
     */
    @FunctionalInterface
    public interface Contents<T> extends Serializable {

        /** Once per sink writer, before its first element. */
        default void open(String topic) throws Exception {}

        /** The record of one element. */
        Parts of(T element);
    }

    /**
     * A record's key, value and headers.
     *
     * @param key null for none
     * @param value null for a tombstone
     * @param headers in the order written; empty for none
     */
    public record Parts(byte[] key, byte[] value, List<Header> headers) {

        public Parts {
            Objects.requireNonNull(headers, "headers");
        }

        /** Key and value as UTF-8, without headers. */
        public static Parts text(String key, String value) {
            return new Parts(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), List.of());
        }
    }
}
