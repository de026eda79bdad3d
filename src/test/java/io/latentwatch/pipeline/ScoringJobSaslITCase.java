package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.CameraFrame;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a broker that accepts only SASL/PLAIN: with the credentials in a properties file (the way users
 * give them) it scores the frames; clients without them are refused; the password shows up neither in the logs nor
 * in the Flink web UI's REST answers.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ScoringJobSaslITCase {

    private static final String USER = "latentwatch";
    private static final String PASSWORD = "s3cret-Pa55word-7d1f";

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @TempDir Path tmp;

    @Test
    void theJobWithCredentialsScoresAndClientsWithoutAreRefused(@InjectClusterRESTAddress URI rest) throws Exception {
        TestModels.detector();
        PrintStream realErr = System.err;
        PrintStream realOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().sasl(USER, PASSWORD).start()) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            Path props = tmp.resolve("client.properties");
            Files.writeString(props, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                    + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER
                    + "\" password=\"" + PASSWORD + "\";\n");

            List<Records.Sent> sent = new ArrayList<>();
            Map<String, CameraFrame> truth = Records.cameraFrames(TestModels.camera().build(), 30_000, 40, 2, sent);
            Records.send(kafka.clientProperties(), "frames", sent);

            System.setErr(new PrintStream(new Tee(captured, realErr), true));
            System.setOut(new PrintStream(new Tee(captured, realOut), true));
            Configuration conf = new Configuration();
            conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            conf.set(ScoringJobOptions.KAFKA_PROPERTIES_FILE, props.toString());
            conf.set(ScoringJobOptions.MODEL_PATH, TestModels.detector().toString());
            conf.set(ScoringJobOptions.DEVICE, "cpu");
            conf.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, "sasl-itcase");
            conf.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
            ScoringJob job = ScoringJob.builder().setConfiguration(conf).optStoppingOffsets(OffsetsInitializer.latest()).build();
            job.kafka().checkTopicsExist(job.topics(), 20_000);
            assertTrue(job.kafka().describe().contains("sasl.jaas.config=[hidden]"), job.kafka().describe().toString());

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(1);
            JobClient client = job.start(env);
            String id = client.getJobID().toHexString();
            List<String> answers = new ArrayList<>();
            for (String path : List.of("/jobs/" + id + "/config", "/jobs/" + id + "/jobmanager/config", "/jobmanager/config", "/jobs/" + id, "/jobs/" + id + "/plan")) {
                answers.add(path + " -> " + get(rest.resolve(path)));
            }
            client.getJobExecutionResult().get(180, TimeUnit.SECONDS);
            System.setErr(realErr);
            System.setOut(realOut);

            assertTrue(answers.get(0).contains("latentwatch") || answers.get(0).contains(id), answers.get(0));
            for (String answer : answers) {
                assertFalse(answer.contains(PASSWORD), "the web UI shows the password: " + answer);
            }
            String logs = captured.toString(StandardCharsets.UTF_8);
            assertFalse(logs.contains(PASSWORD), "the password was printed");

            assertEquals(truth.keySet(), Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), "latents")).keySet());

            try (KafkaConsumer<byte[], byte[]> wrong = consumer(kafka.clientProperties(USER, "wrong-password"))) {
                assertThrows(SaslAuthenticationException.class, () -> wrong.partitionsFor("latents", Duration.ofSeconds(10)));
            }
            Map<String, Object> anonymous = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
            try (KafkaConsumer<byte[], byte[]> none = consumer(anonymous)) {
                assertThrows(TimeoutException.class, () -> none.partitionsFor("latents", Duration.ofSeconds(2)));
            }
        } finally {
            System.setErr(realErr);
            System.setOut(realOut);
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> props) {
        Map<String, Object> c = new HashMap<>(props);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return new KafkaConsumer<>(c);
    }

    private static String get(URI uri) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** Copies everything written to two streams. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        Tee(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
