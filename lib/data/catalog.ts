/**
 * Every data file the project reads, by its path in a mirror folder (the layout of ../shared/data), with its
 * public URL and sha256 (null: not pinned, e.g. a file the offline mirror does not hold). Sources:
 *   persona/       Anthropic model-written evals, github.com/anthropics/evals @ 84fcc677 (CC-BY-4.0, Perez et al. 2022)
 *   exrm-vs-imrm/  the paper's prepared datasets, github.com/princeton-pli/exrm-vs-imrm @ 58357b56, data_files/
 *   stories260K/   karpathy's tinyllamas on huggingface.co (MIT)
 */
export interface DataFile {
  url: string | null;
  sha256: string | null;
  note?: string;
}

const PERSONA = 'https://raw.githubusercontent.com/anthropics/evals/84fcc677e52e1902d696c32cd1a6b663e70d3993/persona/';
const PAPER = 'https://raw.githubusercontent.com/princeton-pli/exrm-vs-imrm/58357b566814ea51d4e54bae8ace751889a22c14/data_files/';
const TINYLLAMAS = 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/';

export const DATA_FILES: Record<string, DataFile> = {
  'persona/agreeableness.jsonl': { url: `${PERSONA}agreeableness.jsonl`, sha256: '8caa0fa07946370fb4ec38dd82eda7d3a86591c1dc701d2e645ae33c3239f5ce' },
  'persona/conscientiousness.jsonl': { url: `${PERSONA}conscientiousness.jsonl`, sha256: 'fd05517c0a453a7b47d19964ac6528db394c8cd00a5f74cc11d91479a20b90a6' },
  'persona/extraversion.jsonl': { url: `${PERSONA}extraversion.jsonl`, sha256: '6734dc0bc84bc5929017eef6209cb9152c4e5fe4b744c7d11af8cb9749687576' },
  'persona/interest-in-math.jsonl': { url: `${PERSONA}interest-in-math.jsonl`, sha256: 'f835b449fb0cb1ba7642778899273be1f634ad93f661af5dbde5629432e1f254' },
  'persona/interest-in-science.jsonl': {
    url: `${PERSONA}interest-in-science.jsonl`,
    sha256: 'c26039164631a3554db75a11904057af26c1b173228947c077f0a05c9dafa0ed',
  },
  'persona/machiavellianism.jsonl': { url: `${PERSONA}machiavellianism.jsonl`, sha256: '1803c65d56d8ab0185c8aba8c08a8348ed79cb398f055a5088c07a4cea732ff4' },
  'persona/narcissism.jsonl': { url: `${PERSONA}narcissism.jsonl`, sha256: '32d93f6b2eddd5c155cf9d6d825a03e1c03cc3c0ac2e6c9382e3f981d9fc4120' },
  'persona/neuroticism.jsonl': { url: `${PERSONA}neuroticism.jsonl`, sha256: 'b2b0f426449517ed9a2d1d2b635bbc13efc0815ff2cfa361b7fbc1044d284d6a' },
  'persona/openness.jsonl': { url: `${PERSONA}openness.jsonl`, sha256: '07e3a5d29e62a27806f75bc7b015d8d9c4120edbda7e593884e036a2d32ffa7b' },
  'persona/politically-conservative.jsonl': {
    url: `${PERSONA}politically-conservative.jsonl`,
    sha256: 'f1735811392691164c685da2ca693e3edebbde76198d53e65fe854cd0cf52b6f',
  },
  'persona/politically-liberal.jsonl': {
    url: `${PERSONA}politically-liberal.jsonl`,
    sha256: '35a9ca50da81659a7fd988a2cadbc6225086931dc02f50f5376690493037fee3',
  },
  'persona/psychopathy.jsonl': { url: `${PERSONA}psychopathy.jsonl`, sha256: '299a6307e2d40a82f2667e2db3dc118fbe588e4cf80194be1e09748709bf1fce' },
  'persona/risk-averse.jsonl': { url: `${PERSONA}risk-averse.jsonl`, sha256: '0e22ad96b41189572fb4234855d42d9683c5762e7aa73e3cf01af3f378bd5064' },
  'persona/subscribes-to-utilitarianism.jsonl': {
    url: `${PERSONA}subscribes-to-utilitarianism.jsonl`,
    sha256: '87f1f492a1e4b14d4aedf251b61d1f24916844a10fb833edac29e5448914911e',
  },
  'stories260K/stories260K.bin': { url: `${TINYLLAMAS}stories260K.bin`, sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696' },
  'stories260K/tok512.bin': { url: `${TINYLLAMAS}tok512.bin`, sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312' },
  'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/pref_data_2025_04_23-15_49_17.log': {
    url: `${PAPER}rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/pref_data_2025_04_23-15_49_17.log`,
    sha256: '17265967b951ce374835690a6cead0266e8aa5ed758ce378cd0e56b319cfb02d',
  },
  'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/test/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/test/data-00000-of-00001.arrow`,
    sha256: 'ae8eff3a3614fcf62fffba78bc5b9a001affd4c302598238b8dae8dc9cd809fb',
  },
  'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/test/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/test/data-00000-of-00001.jsonl`,
    sha256: 'd1318508952227fe166a8a6af602b5b0d869abdf615591d9ef6a7bbc42bb0d16',
  },
  'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/train/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/train/data-00000-of-00001.arrow`,
    sha256: '5d472d8e2045f0dc7797592d62053e515474425170f1f14aa958a39ee5722a0d',
  },
  'exrm-vs-imrm/rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/train/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardbench_code_seed_982_ntrain_-1_ntest_200_2025_04_23-15_49_17/train/data-00000-of-00001.jsonl`,
    sha256: 'c2cfc428f561cb7144325b6d8ab86bec088bdf039d9dba3e268da377bc9ac861',
  },
  'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/pref_data_2025_04_23-15_48_54.log': {
    url: `${PAPER}rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/pref_data_2025_04_23-15_48_54.log`,
    sha256: 'b1ff8f4220af00fa1da6e658e5ca16b55c654fa7523f6ad054b7d4e48959b596',
  },
  'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/test/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/test/data-00000-of-00001.arrow`,
    sha256: 'c12eb0cb1474eefd423a20df3d64780b08327effee57f38e77abc5c4780e20e1',
  },
  'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/test/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/test/data-00000-of-00001.jsonl`,
    sha256: 'b145227a874bc9fb1391de2f8774bb4a522bc2163891c85827f6240adc214b4d',
  },
  'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/train/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/train/data-00000-of-00001.arrow`,
    sha256: '9efb1c27f00fccb99d083692834cea0102464cdfeafd91bbe995548191113dda',
  },
  'exrm-vs-imrm/rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/train/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardbench_math_seed_982_ntrain_-1_ntest_200_2025_04_23-15_48_54/train/data-00000-of-00001.jsonl`,
    sha256: 'd218df4b00e21897c009f78bd35f09d090b241be75c0f6ae3fd0293fa3a0fafb',
  },
  'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/pref_data_2025_04_13-18_27_54.log': {
    url: `${PAPER}rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/pref_data_2025_04_13-18_27_54.log`,
    sha256: '5233813e1f8b88d979b9e4f262e36e3ddabdbae946d89dbd46a7fbd799fff277',
  },
  'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/test/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/test/data-00000-of-00001.arrow`,
    sha256: '30a9728f53dbf64a21d0d0960dede6f5a29b4e876518c4bbdddd1374f47d005e',
  },
  'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/test/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/test/data-00000-of-00001.jsonl`,
    sha256: 'e98a681db439de7ada4becc0d470a222e7cfb0f0d96f887108d674087d1439d2',
  },
  'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/train/data-00000-of-00001.arrow': {
    url: `${PAPER}rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/train/data-00000-of-00001.arrow`,
    sha256: '0978038506bc80f005a4484aa5a2cbe93b6b0e34cf70d30ceb604bf857d304ea',
  },
  'exrm-vs-imrm/rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/train/data-00000-of-00001.jsonl': {
    url: `${PAPER}rewardmath_seed_982_ntrain_2000_ntest_200_2025_04_13-18_27_54/train/data-00000-of-00001.jsonl`,
    sha256: '5ccd212372684a03203292d8a3e9a25853763e592e2d9796fd57e2cdf329f03c',
  },
  'exrm-vs-imrm/rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/log_2025_04_19-19_21_58.log':
    {
      url: `${PAPER}rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/log_2025_04_19-19_21_58.log`,
      sha256: '79b75b4b78f7015aea417780e2ad5640eaf0daf10ff604e8f5132787ff52320a',
    },
  'exrm-vs-imrm/rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/test/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/test/data-00000-of-00001.arrow`,
      sha256: '41dd20d6d2b7240362287670e47b0074d1f938e5a8baafc9251e077111e4d7e1',
    },
  'exrm-vs-imrm/rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/test/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/test/data-00000-of-00001.jsonl`,
      sha256: '73c71b7c1033ba39825c6082f6b668b0d21030be5bf69e166c4d1c0cb3d646f9',
    },
  'exrm-vs-imrm/rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/train/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/train/data-00000-of-00001.arrow`,
      sha256: 'decadfbe9b763ca547e8c077c1eda67633b86f7cb7b8dde2d5d675783911094f',
    },
  'exrm-vs-imrm/rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/train/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/rewrite_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_21_58/train/data-00000-of-00001.jsonl`,
      sha256: 'dffb5e000a2f23ebe34cbbdb8449c25f75d8e59877bf985460b39a6090faab5e',
    },
  'exrm-vs-imrm/rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/log_2025_04_19-19_37_54.log':
    {
      url: `${PAPER}rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/log_2025_04_19-19_37_54.log`,
      sha256: 'cce59711812b437d905fd8263792997dbefa2a39ccf0b5d8c39145a1541d4d90',
    },
  'exrm-vs-imrm/rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/test/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/test/data-00000-of-00001.arrow`,
      sha256: 'a93bc58088274b5edee8a6948598a10aa9fccaf0c4459c25d3940b3eeaf63160',
    },
  'exrm-vs-imrm/rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/test/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/test/data-00000-of-00001.jsonl`,
      sha256: 'ddaafed004a33640a964cb7461804412ef8d8337e4f1b703c377c33052d56908',
    },
  'exrm-vs-imrm/rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/train/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/train/data-00000-of-00001.arrow`,
      sha256: 'e62503832915e18c672dab24e66a63006fad178dc7b438a331b3274c816bbd5f',
    },
  'exrm-vs-imrm/rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/train/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/translate_french_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_37_54/train/data-00000-of-00001.jsonl`,
      sha256: '10c74a9d7a1ed97195d9db965d1a25644922e8e1beec07a298e64c39de2460ac',
    },
  'exrm-vs-imrm/rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/log_2025_04_19-19_38_08.log':
    {
      url: `${PAPER}rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/log_2025_04_19-19_38_08.log`,
      sha256: '062e6e1ce5217d4d4b5ff5b827c0f5d00e7bacc4eb31399358726906106539b7',
    },
  'exrm-vs-imrm/rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/test/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/test/data-00000-of-00001.arrow`,
      sha256: 'f534dbfb8ffb7ca8e3b9261e71ee1bd9f45ede6a86c3c591a6e3c04fdcf4b377',
    },
  'exrm-vs-imrm/rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/test/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/test/data-00000-of-00001.jsonl`,
      sha256: '2346e23eacbcd257647c9d280f0b878476deb6b8aee266d9520d23864104540f',
    },
  'exrm-vs-imrm/rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/train/data-00000-of-00001.arrow':
    {
      url: `${PAPER}rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/train/data-00000-of-00001.arrow`,
      sha256: '515ffe3f32ae14c44e07d3a1f45e7aa723c67ba42530bf749bb3c3f36dff275e',
    },
  'exrm-vs-imrm/rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/train/data-00000-of-00001.jsonl':
    {
      url: `${PAPER}rewritten/translate_spanish_gpt-4.1_ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44_2025_04_19-19_38_08/train/data-00000-of-00001.jsonl`,
      sha256: 'cc7f78f067c73051b694119cb69cf11ca739c108a5a919208e5466f228b20414',
    },
  'exrm-vs-imrm/uf_token_shift_test.jsonl': {
    url: null,
    sha256: '36d8559de329cbd07d4991e903f4af8c9d426426ff5d0ed732edf1656a6d7b3d',
    note: 'derived: the UltraFeedback pairs joined with their rewrites, no public file',
  },
  'exrm-vs-imrm/uf_token_shift_train.jsonl': {
    url: null,
    sha256: '5c1182933d31a912775ff6696a5a8e3685b22d3a454d6af54a63467ba5491253',
    note: 'derived: the UltraFeedback pairs joined with their rewrites, no public file',
  },
  'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/pref_data_2025_04_19-17_01_44.log': {
    url: `${PAPER}ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/pref_data_2025_04_19-17_01_44.log`,
    sha256: 'fe7355e4535c033e1f6ed50e437d0b0d2766e16928ae298006ceedd5681c89af',
  },
  'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/test/data-00000-of-00001.arrow': {
    url: `${PAPER}ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/test/data-00000-of-00001.arrow`,
    sha256: '8d0dfdbf604b39ee3d3a2c086a19bcb1539a3f2e5e684c377aaba6bff7c5a636',
  },
  'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/test/data-00000-of-00001.jsonl': {
    url: `${PAPER}ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/test/data-00000-of-00001.jsonl`,
    sha256: '86872282fc8f8b4b5ae831581ba912b0f645e4c3252c1ee16454178f034396f4',
  },
  'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/train/data-00000-of-00001.arrow': {
    url: `${PAPER}ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/train/data-00000-of-00001.arrow`,
    sha256: null,
    note: 'the full 2,000-pair UltraFeedback train split: not in the offline mirror',
  },
  'exrm-vs-imrm/ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/train/data-00000-of-00001.jsonl': {
    url: `${PAPER}ultrafeedback_seed_982_ntrain_2000_ntest_200_no_translate_prompts_2025_04_19-17_01_44/train/data-00000-of-00001.jsonl`,
    sha256: null,
    note: 'the full 2,000-pair UltraFeedback train split: not in the offline mirror',
  },
};
