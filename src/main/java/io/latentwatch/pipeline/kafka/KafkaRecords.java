package io.latentwatch.pipeline.kafka;

import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.ModelUpdateSignature;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Properties;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The job's Kafka (de)serialisers: frames and model updates in; latents, alerts, dead letters and model updates out
 * (DESIGN.md's wire formats; latents and alerts in JSON or Avro, {@link ValueFormat}). Every sink writes through one
 * {@link RecordSerializer}; what differs is its contents.
 */
public final class KafkaRecords {

    private KafkaRecords() {}

    /** A frames record, key, value and headers untouched, with its topic, partition, offset and timestamp. */
    public static final class FramesDeserializer implements KafkaRecordDeserializationSchema<RawFrame> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawFrame> out) {
            out.collect(RawFrame.of(r));
        }

        @Override
        public TypeInformation<RawFrame> getProducedType() {
            return TypeInformation.of(RawFrame.class);
        }
    }

    /** latents: key = source, value = {@link JsonRecords#latents(ScoredFrame)}. */
    public static RecordSerializer<ScoredFrame> latents(String topic) {
        return latents(topic, ValueFormat.JSON);
    }

    /**
     * latents: key = source, value = {@link JsonRecords#latents(ScoredFrame)} or, in {@link ValueFormat#AVRO}, the
     * Avro binary of {@link AvroRecords#latentsSchema()}.
     */
    public static RecordSerializer<ScoredFrame> latents(String topic, ValueFormat format) {
        return switch (format) {
            case JSON -> RecordSerializer.text(topic, f -> f.source, JsonRecords::latents);
            case AVRO -> new RecordSerializer<>(topic, new AvroValues<ScoredFrame>(AvroRecords::latentsSchema, f -> f.source, AvroRecords::latents));
        };
    }

    /** alerts: key = source, value = {@link JsonRecords#alert(Alert)}. */
    public static RecordSerializer<Alert> alerts(String topic) {
        return alerts(topic, ValueFormat.JSON);
    }

    /**
     * alerts: key = source, value = {@link JsonRecords#alert(Alert)} or, in {@link ValueFormat#AVRO}, the Avro binary
     * of {@link AvroRecords#alertsSchema()}.
     */
    public static RecordSerializer<Alert> alerts(String topic, ValueFormat format) {
        return switch (format) {
            case JSON -> RecordSerializer.text(topic, a -> a.source, JsonRecords::alert);
            case AVRO -> new RecordSerializer<>(topic, new AvroValues<Alert>(AvroRecords::alertsSchema, a -> a.source, AvroRecords::alert));
        };
    }

    /**
     * frames-dlq: each dead letter as {@link DeadLetterRecords} writes it, cut to fit the smaller of the producer's
     * {@code max.request.size} and, where {@code admin} is given, the topic's {@code max.message.bytes}.
     *
     * @param producer the sink's producer settings
     * @param admin client settings to ask the broker for the topic's limit at open, or null not to ask
     */
    public static RecordSerializer<DeadLetter> deadLetters(String topic, Properties producer, KafkaClientConfig admin) {
        return new RecordSerializer<>(topic, new DeadLetterRecords(producer, admin));
    }

    /** A producer setting of type int, the producer's default where unset. */
    public static int producerSetting(Properties producer, String key) {
        Object v = producer.getProperty(key);
        if (v == null) {
            v = ProducerConfig.configDef().defaultValues().get(key);
        }
        return Integer.parseInt(String.valueOf(v).trim());
    }

    /**
     * model-updates: key = {@value #MODEL_UPDATES_KEY} (one partition keeps the decisions in order), value = the JSON,
     * signed ({@link ModelUpdateSignature}) when a key file is configured.
     *
     * @param signingKeyFile the secret file with the HMAC key, or null to write unsigned records
     */
    public static RecordSerializer<String> modelUpdates(String topic, String signingKeyFile) {
        return new RecordSerializer<>(topic, new SignedModelUpdates(signingKeyFile));
    }

    /** The JSON of a model update, signed when there is a key file; it is read where the sink runs, at open. */
    private static final class SignedModelUpdates implements RecordSerializer.Contents<String> {
        private static final long serialVersionUID = 1L;
        private final String signingKeyFile;
        private transient ModelUpdateSignature signature;

        SignedModelUpdates(String signingKeyFile) {
            this.signingKeyFile = signingKeyFile;
        }

        @Override
        public void open(String topic) throws IOException {
            signature = signingKeyFile == null ? null : ModelUpdateSignature.fromKeyFile(Paths.get(signingKeyFile));
        }

        @Override
        public RecordSerializer.Parts of(String json) {
            String value = signature == null ? json : signature.sign(ModelUpdate.fromJson(json)); // the job's own records always parse
            return RecordSerializer.Parts.text(MODEL_UPDATES_KEY, value);
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

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
