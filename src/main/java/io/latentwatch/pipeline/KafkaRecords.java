package io.latentwatch.pipeline;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/** The job's Kafka (de)serialisers: frames in; latents, alerts and dead letters out (DESIGN.md's wire formats). */
public final class KafkaRecords {

    /** Header of a dead letter: why the frame was refused. */
    public static final String ERROR_HEADER = "error";
    /** Header of a dead letter: the stage that refused it (decode or validate). */
    public static final String ERROR_STAGE_HEADER = "error-stage";

    private KafkaRecords() {}

    /** A frames record, key, value and headers untouched, with its topic, partition, offset and timestamp. */
    public static final class FramesDeserializer implements KafkaRecordDeserializationSchema<RawFrame> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawFrame> out) {
            List<String> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (Header h : r.headers()) {
                keys.add(h.key());
                values.add(h.value());
            }
            out.collect(new RawFrame(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(),
                    keys.toArray(String[]::new), values.toArray(byte[][]::new)));
        }

        @Override
        public TypeInformation<RawFrame> getProducedType() {
            return TypeInformation.of(RawFrame.class);
        }
    }

    /** latents: key = source, value = {@link JsonRecords#latents(ScoredFrame)}. */
    public static final class LatentsSerializer implements KafkaRecordSerializationSchema<ScoredFrame> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public LatentsSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(ScoredFrame f, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, utf8(f.source), utf8(JsonRecords.latents(f)));
        }
    }

    /** alerts: key = source, value = {@link JsonRecords#alert(Alert)}. */
    public static final class AlertsSerializer implements KafkaRecordSerializationSchema<Alert> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public AlertsSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Alert a, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, utf8(a.source), utf8(JsonRecords.alert(a)));
        }
    }

    /**
     * frames-dlq: the original key, value and headers, plus {@value #ERROR_HEADER} (the reason) and {@value
     * #ERROR_STAGE_HEADER}.
     */
    public static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public DeadLetterSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
            RawFrame f = d.frame;
            List<Header> headers = new ArrayList<>();
            if (f.headerKeys != null) {
                for (int i = 0; i < f.headerKeys.length; i++) {
                    headers.add(new RecordHeader(f.headerKeys[i], f.headerValues[i]));
                }
            }
            headers.add(new RecordHeader(ERROR_HEADER, utf8(d.error)));
            headers.add(new RecordHeader(ERROR_STAGE_HEADER, utf8(d.stage)));
            return new ProducerRecord<>(topic, null, null, f.key, f.value, headers);
        }
    }

    /** model-updates: key = {@value #MODEL_UPDATES_KEY} (one partition keeps the decisions in order), value = the JSON. */
    public static final class ModelUpdatesSerializer implements KafkaRecordSerializationSchema<String> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public ModelUpdatesSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(String json, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, utf8(MODEL_UPDATES_KEY), utf8(json));
        }
    }

    /** Key of every model-updates record. */
    public static final String MODEL_UPDATES_KEY = "latentwatch";

    /** model-updates values as JSON text; parsing (and refusing) is the scorer's. */
    public static final class ModelUpdatesDeserializer implements KafkaRecordDeserializationSchema<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<String> out) {
            if (r.value() != null) {
                out.collect(new String(r.value(), StandardCharsets.UTF_8));
            }
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return TypeInformation.of(String.class);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
